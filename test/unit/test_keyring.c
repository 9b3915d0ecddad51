/*
 * Unit tests of src/core/keyring.c: the keyring file parser.
 */
#include "keyring.h"
#include "unit.h"

#define K1 "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff1"
#define K2 "A0B1C2D3E4F5061728394A5B6C7D8E9FA0B1C2D3E4F5061728394A5B6C7D8E9F"

static mh_keyring kr;

static int
parse(const char *s, int *line)
{
	return mh_keyring_parse(s, strlen(s), &kr, line);
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *u = p;

	for (size_t i = 0; i < n; i++)
		if (u[i])
			return false;
	return true;
}

int
main(void)
{
	int			line;
	unsigned char d1[MH_KEY_BYTES],
				d2[MH_KEY_BYTES];

	/* valid keyrings */
	CHECK_INT(parse("1:" K1 ":active\n", &line), MH_KEYRING_OK, "one active key");
	CHECK_INT(kr.nkeys, 1, "one key");
	CHECK_INT(kr.active, 1, "version 1 active");
	CHECK_INT(kr.keys[0].key[0], 0x0f, "first key byte");
	CHECK_INT(kr.keys[0].key[31], 0xf1, "last key byte");
	CHECK_INT(parse("# test keyring\n\n  1:" K1 "  \r\n255:" K2 ":active", &line),
			  MH_KEYRING_OK, "comments, blanks, CRLF, no final newline, upper-case hex");
	CHECK_INT(kr.nkeys, 2, "two keys");
	CHECK_INT(kr.active, 255, "version 255 active");
	CHECK(mh_keyring_find(&kr, 255) != NULL && mh_keyring_find(&kr, 255)->key[0] == 0xa0,
		  "find version 255");
	CHECK(mh_keyring_find(&kr, 2) == NULL, "version 2 absent");

	/* rejections, with the line number and a wiped keyring */
	CHECK_INT(parse("", &line), MH_KEYRING_EMPTY, "empty file");
	CHECK_INT(parse("# nothing\n", &line), MH_KEYRING_EMPTY, "comments only");
	CHECK_INT(parse("1:" K1 "\n", &line), MH_KEYRING_NO_ACTIVE, "no active key");
	CHECK(all_zero(&kr, sizeof(kr)), "keyring wiped after an error");
	CHECK_INT(parse("1:" K1 ":active\n2:" K2 ":active\n", &line), MH_KEYRING_TWO_ACTIVE,
			  "two active keys");
	CHECK_INT(line, 2, "second line reported");
	CHECK(all_zero(&kr, sizeof(kr)), "keyring wiped after a late error");
	CHECK_INT(parse("1:" K1 ":active\n1:" K2 "\n", &line), MH_KEYRING_DUPLICATE_VERSION,
			  "duplicate version");
	CHECK_INT(parse("0:" K1 ":active\n", &line), MH_KEYRING_BAD_VERSION, "version 0");
	CHECK_INT(parse("256:" K1 ":active\n", &line), MH_KEYRING_BAD_VERSION, "version 256");
	CHECK_INT(parse("01:" K1 ":active\n", &line), MH_KEYRING_BAD_VERSION, "leading zero");
	CHECK_INT(parse(":" K1 ":active\n", &line), MH_KEYRING_BAD_VERSION, "missing version");
	CHECK_INT(parse("1 " K1 ":active\n", &line), MH_KEYRING_BAD_SYNTAX, "no colon");
	CHECK_INT(parse("key=" K1 "\n", &line), MH_KEYRING_BAD_SYNTAX, "other syntax");
	CHECK_INT(parse("1:" K1 "0:active\n", &line), MH_KEYRING_BAD_KEY, "65 hex digits");
	CHECK_INT(parse("1:0f1e:active\n", &line), MH_KEYRING_BAD_KEY, "short key");
	CHECK_INT(parse("1:" K1 "XYZ:active\n", &line), MH_KEYRING_BAD_KEY, "junk after the key");
	CHECK_INT(parse("1:" K1 ":active\n\n# two\n2:" K2 " extra\n", &line), MH_KEYRING_BAD_KEY,
			  "junk after a key on line 4");
	CHECK_INT(line, 4, "line 4 reported, blank and comment lines counted");
	CHECK_INT(parse("1:" "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeffg"
					":active\n", &line), MH_KEYRING_BAD_KEY, "non-hex digit");
	CHECK_INT(parse("1:" "0000000000000000000000000000000000000000000000000000000000000000"
					":active\n", &line), MH_KEYRING_WEAK_KEY, "all-zero key");
	CHECK_INT(parse("1:" K1 ":Active\n", &line), MH_KEYRING_BAD_FLAG, "unknown flag");
	CHECK_INT(parse("1:" K1 ":active:\n", &line), MH_KEYRING_BAD_FLAG, "trailing colon");
	CHECK_INT(mh_keyring_parse("1:" K1 ":act\0ve\n", 2 + 64 + 8 + 1, &kr, &line),
			  MH_KEYRING_NUL_BYTE, "NUL byte");
	{
		static char big[MH_KEYRING_LINE_MAX + 10];

		memset(big, '#', sizeof(big) - 1);
		CHECK_INT(parse(big, &line), MH_KEYRING_LINE_TOO_LONG, "line too long");
	}
	CHECK(strstr(mh_keyring_status_text(MH_KEYRING_BAD_KEY), "64 hexadecimal") != NULL,
		  "status text names the problem");

	/* derived keys: deterministic, label-separated, HMAC-SHA256 */
	parse("1:" K1 ":active\n", &line);
	CHECK(mh_key_derive(kr.keys[0].key, MH_LABEL_TOKEN, d1), "derive token key");
	CHECK(mh_key_derive(kr.keys[0].key, MH_LABEL_TOKEN, d2) && memcmp(d1, d2, 32) == 0,
		  "derivation is deterministic");
	mh_key_derive(kr.keys[0].key, MH_LABEL_SEAL_1, d2);
	CHECK(memcmp(d1, d2, 32) != 0, "labels separate the derived keys");
	mh_keyring_wipe(&kr);
	CHECK(all_zero(&kr, sizeof(kr)), "wipe");

	UNIT_DONE();
}
