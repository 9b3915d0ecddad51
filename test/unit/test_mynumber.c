/*
 * Unit tests of src/core/mynumber.c (normalisation of typed My Numbers) and
 * of the token computation and text form of src/core/mynumber_token.c.
 */
#include "mynumber.h"
#include "mynumber_token.h"
#include "unit.h"

static mh_mynumber_status
norm(const char *s, char *out)
{
	char		buf[MH_MYNUMBER_DIGITS];
	mh_mynumber_status st = mh_mynumber_normalize(s, strlen(s), buf, NULL);

	memcpy(out, buf, MH_MYNUMBER_DIGITS);
	out[MH_MYNUMBER_DIGITS] = '\0';
	return st;
}

static const mh_keyring_entry key1 = {1, {
		0x6b, 0x1f, 0x3a, 0x9c, 0x42, 0x07, 0xd5, 0xe8, 0x11, 0x2c, 0x90, 0x5e, 0xa7, 0x33, 0x4d, 0xf0,
0x18, 0x64, 0xbb, 0x02, 0xc9, 0x7e, 0x55, 0x81, 0x3d, 0xe6, 0x0a, 0x97, 0x24, 0xfc, 0x6f, 0xb1}};

int
main(void)
{
	char		out[MH_MYNUMBER_DIGITS + 1];
	int			n;
	mh_token_key tk;
	unsigned char t1[MH_TOKEN_BYTES],
				t2[MH_TOKEN_BYTES];
	char		text[MH_VTEXT_MAX];
	mh_keyring_entry key2 = key1;

	/* valid spellings all normalise to the same 12 ASCII digits */
	CHECK_INT(norm("123456789018", out), MH_MYNUMBER_OK, "ASCII digits");
	CHECK_STR(out, "123456789018", "ASCII digits normalised");
	CHECK_INT(norm("1234-5678-9018", out), MH_MYNUMBER_OK, "hyphens");
	CHECK_STR(out, "123456789018", "hyphens dropped");
	CHECK_INT(norm(" 1234 5678 9018 ", out), MH_MYNUMBER_OK, "spaces");
	CHECK_STR(out, "123456789018", "spaces dropped");
	CHECK_INT(norm("１２３４５６７８９０１８", out), MH_MYNUMBER_OK, "full-width digits");
	CHECK_STR(out, "123456789018", "full-width digits normalised");
	CHECK_INT(norm("１２３４－５６７８－９０１８", out), MH_MYNUMBER_OK, "full-width hyphen-minus");
	CHECK_INT(norm("１２３４ー５６７８‐９０１８", out), MH_MYNUMBER_OK, "long vowel mark and U+2010");
	CHECK_INT(norm("1234　5678−9018", out), MH_MYNUMBER_OK, "ideographic space and minus sign");
	CHECK_STR(out, "123456789018", "mixed separators normalised");
	CHECK_INT(norm("0234\t5678 9013", out), MH_MYNUMBER_OK, "tab, leading zero");
	CHECK_STR(out, "023456789013", "leading zero kept");

	/* rejections, each with its own status */
	CHECK_INT(norm("123456789019", out), MH_MYNUMBER_BAD_CHECK_DIGIT, "check digit");
	CHECK_STR(out, "", "output wiped after a check digit error");
	CHECK_INT(norm("12345678901", out), MH_MYNUMBER_BAD_LENGTH, "11 digits");
	CHECK_INT(norm("1234567890180", out), MH_MYNUMBER_BAD_LENGTH, "13 digits");
	CHECK_INT(norm("", out), MH_MYNUMBER_BAD_LENGTH, "empty");
	CHECK_INT(norm(" - ", out), MH_MYNUMBER_BAD_LENGTH, "separators only");
	CHECK_INT(norm("12345678901a", out), MH_MYNUMBER_BAD_CHARACTER, "letter");
	CHECK_INT(norm("123456789018.", out), MH_MYNUMBER_BAD_CHARACTER, "period");
	CHECK_INT(norm("1234567890１", out), MH_MYNUMBER_BAD_LENGTH, "11 mixed-width digits");
	CHECK_INT(norm("１２３", out), MH_MYNUMBER_BAD_LENGTH, "3 full-width digits");
	CHECK_INT(norm("\xef\xbc", out), MH_MYNUMBER_BAD_CHARACTER, "truncated UTF-8");
	CHECK_INT(norm("\xef\xbc\x9a", out), MH_MYNUMBER_BAD_CHARACTER, "full-width colon");
	CHECK_INT(norm("\xc2\xa0", out), MH_MYNUMBER_BAD_CHARACTER, "no-break space");
	CHECK_INT(norm("١٢٣٤٥٦٧٨٩٠١٨", out), MH_MYNUMBER_BAD_CHARACTER, "Arabic-Indic digits");
	CHECK_INT(norm("x12345678901", out), MH_MYNUMBER_BAD_CHARACTER,
			  "a character error comes before a length error");
	CHECK_INT(mh_mynumber_normalize("123456789018\0", 13, out, &n),
			  MH_MYNUMBER_BAD_CHARACTER, "embedded NUL");
	CHECK_INT(mh_mynumber_normalize("1234567890181234", 16, out, &n),
			  MH_MYNUMBER_BAD_LENGTH, "16 digits");
	CHECK_INT(n, 16, "digit count reported");
	CHECK_STR(mh_mynumber_status_text(MH_MYNUMBER_BAD_CHECK_DIGIT), "check digit mismatch",
			  "status text");

	/* tokens: the fast path is HMAC-SHA256 through EVP_MAC exactly */
	CHECK(mh_token_key_init(&tk, &key1), "token key initialised");
	mh_token_compute(&tk, "123456789018", t1);
	CHECK(mh_token_compute_evp(&key1, "123456789018", t2), "EVP_MAC token");
	CHECK(memcmp(t1, t2, MH_TOKEN_BYTES) == 0, "fast path equals EVP_MAC");
	CHECK_INT(t1[0], 1, "version byte first");
	mh_token_compute(&tk, "023456789013", t2);
	CHECK(memcmp(t1, t2, MH_TOKEN_BYTES) != 0, "different numbers give different tokens");
	mh_token_compute_evp(&key1, "023456789013", t1);
	CHECK(memcmp(t1, t2, MH_TOKEN_BYTES) == 0, "fast path equals EVP_MAC, second number");
	key2.version = 2;
	mh_token_key_init(&tk, &key2);
	mh_token_compute(&tk, "023456789013", t1);
	CHECK(memcmp(t1 + 1, t2 + 1, MH_TOKEN_MAC_BYTES) != 0,
		  "the version is inside the MAC, not only in front of it");
	mh_token_key_wipe(&tk);
	CHECK_INT(tk.mac.inner[0], 0, "wiped token key");

	/* text form: round trip, fixed length, canonical only */
	mh_vtext_format(MH_TOKEN_PREFIX, t2, MH_TOKEN_MAC_BYTES, text);
	CHECK_INT(strlen(text), 5 + 43, "token text is 48 characters under version 1");
	CHECK(strncmp(text, "mnt1:", 5) == 0, "token text starts with mnt1:");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, text, strlen(text), t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_OK, "token text parses");
	CHECK(memcmp(t1, t2, MH_TOKEN_BYTES) == 0, "token text round-trips");
	t2[0] = 255;
	mh_vtext_format(MH_TOKEN_PREFIX, t2, MH_TOKEN_MAC_BYTES, text);
	CHECK(strncmp(text, "mnt255:", 7) == 0, "version 255 in text");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, text, strlen(text), t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_OK, "version 255 parses");
	CHECK_INT(t1[0], 255, "version 255 round-trips");
	text[strlen(text) - 1] = text[strlen(text) - 1] == 'B' ? 'C' : 'B';
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, text, strlen(text), t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_NONCANONICAL, "non-zero trailing bits");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, "mnt0:", 5, t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_BAD_VERSION, "version 0");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, "mnt256:", 7, t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_BAD_VERSION, "version 256");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, "mnt01:", 6, t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_BAD_VERSION, "leading zero in version");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, "mns1:", 5, t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_BAD_PREFIX, "sealed prefix is not a token");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, "mnt1:abc", 8, t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_BAD_LENGTH, "short token");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX, "123456789018", 12, t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_BAD_PREFIX, "a My Number is not a token");
	CHECK_INT(mh_vtext_parse(MH_TOKEN_PREFIX,
							 "mnt1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 48,
							 t1, MH_TOKEN_MAC_BYTES),
			  MH_VTEXT_BAD_CHARACTER, "'+' is not base64url");

	UNIT_DONE();
}
