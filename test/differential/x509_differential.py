#!/usr/bin/env python3
"""Differential fuzzing of certificate verdicts: mynahoken.verify_certificate
against `openssl verify` on the same mutated certificates, anchors, time and
policy.

    python3 test/differential/x509_differential.py [--cases N] [--seed S]

Needs a server with mynahoken installed, reached through the libpq
environment (PGHOST, PGPORT, PGUSER); it creates and drops the database
mh_x509_differential.  Prints the figures (cases, outcomes, disagreements by
kind) and exits non-zero on any disagreement that is not a documented
difference (doc/certificates.md, "Differential testing against openssl
verify").

What it does, per run:
  * a JPKI-shaped PKI made with python3-cryptography: two generations of an
    authentication root with one subject name (generation 1 expired
    2025-10-19), a signature root, and a rogue root with the authentication
    name that is never pinned;
  * N end-entity certificates, each drawn from random choices of issuer,
    validity (around the verification time, both ends, one-second
    validity), certificatePolicies (the JPKI policy of either usage, twice,
    anyPolicy, another OID, none, critical or not), keyUsage,
    basicConstraints, authorityKeyIdentifier (right, absent, wrong) and an
    unknown critical extension, signed by the issuer's key; a share of them
    then gets 1 to 3 random bytes changed or cut (after signing);
  * a usage and a verification time per case, drawn among the boundaries
    of the certificate and of the roots;
  * mynahoken's verdict in SQL, with mynahoken.legacy_rsa_decoder on and
    off (the two must agree: every disagreement there is a fault);
  * `openssl verify -CAfile <the usage's roots> -attime T -verify_depth 0
    -policy <the usage's JPKI OID> -explicit_policy`, every printed error
    mapped to an outcome with the class table of src/core/x509verify.c and
    the first in the documented order kept; then the two rules a verdict
    adds to OpenSSL's, applied here to openssl's answer: the JPKI profile
    (keyUsage, not a CA, the JPKI policy itself, not anyPolicy) when
    openssl says OK, and "untrusted for this usage but real for the other
    usage" (openssl verify against the other usage's roots) is
    wrong_usage.
"""
import argparse
import base64
import collections
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

POLICY = {"authentication": "1.2.392.200149.8.5.1.3.30",
          "signature": "1.2.392.200149.8.5.1.1.20"}
ANY_POLICY = "2.5.29.32.0"
OTHER = {"authentication": "signature", "signature": "authentication"}
ORDER = ["malformed", "untrusted_issuer", "bad_signature", "expired",
         "not_yet_valid", "wrong_usage", "valid"]

# OpenSSL X509_V_ERR_* codes and their outcomes: the table of
# class_of_error in src/core/x509verify.c (anything else: untrusted_issuer).
ERROR_OUTCOME = {
    4: "bad_signature", 6: "bad_signature", 7: "bad_signature",
    9: "not_yet_valid", 10: "expired",
    26: "wrong_usage", 43: "wrong_usage",
    13: "malformed", 14: "malformed", 34: "malformed", 37: "malformed",
    41: "malformed", 42: "malformed",
}
# The class order of the verdict: expired and not_yet_valid are one class.
CLASS = {"malformed": 0, "untrusted_issuer": 1, "bad_signature": 2,
         "expired": 3, "not_yet_valid": 3, "wrong_usage": 4, "valid": 5}

# Errors after which the callback of `openssl verify` lets verification go
# on (apps/verify.c); after any other error it stops, so later checks (e.g.
# the signature, after a root's not-yet-valid) are never made.
CONTINUES = {10, 18, 24, 25, 26, 34, 37, 43}

UTC = dt.timezone.utc


def name(ou, cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mynahoken differential"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


AUTH_DN = name("JPKI for user authentication", "Differential Auth Root CA")
SIGN_DN = name("JPKI for digital signature", "Differential Sign Root CA")


class Root:
    def __init__(self, label, dn, start, end, usage):
        self.label, self.dn, self.usage = label, dn, usage
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.not_before, self.not_after = start, end
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.ski = ski
        self.cert = (x509.CertificateBuilder()
                     .subject_name(dn).issuer_name(dn)
                     .public_key(self.key.public_key())
                     .serial_number(random.randrange(1, 2 ** 60))
                     .not_valid_before(start).not_valid_after(end)
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                                  False, False), True)
                     .add_extension(ski, False)
                     .sign(self.key, hashes.SHA256()))
        self.der = self.cert.public_bytes(serialization.Encoding.DER)
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM)


def t(s):
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def make_pki():
    g1 = Root("auth-g1", AUTH_DN, t("2015-10-20 00:00:00"), t("2025-10-19 14:59:59"), "authentication")
    g2 = Root("auth-g2", AUTH_DN, t("2019-04-01 00:00:00"), t("2029-03-31 14:59:59"), "authentication")
    sg = Root("sign-g2", SIGN_DN, t("2019-04-01 00:00:00"), t("2029-03-31 14:59:59"), "signature")
    rogue = Root("rogue", AUTH_DN, t("2019-04-01 00:00:00"), t("2029-03-31 14:59:59"), None)
    ee_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return [g1, g2, sg, rogue], ee_key


def ku(bits):
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]
    v = {n: n in bits for n in names}
    if not v["key_agreement"]:
        v["encipher_only"] = v["decipher_only"] = False
    return x509.KeyUsage(**v)


def make_case(i, roots, ee_key, rng):
    issuer = rng.choice(roots)
    usage = rng.choice(["authentication", "signature"])
    profile = usage if rng.random() < 0.8 else OTHER[usage]
    # validity around one of a few anchor points
    base = rng.choice([t("2022-06-01 00:00:00"), t("2025-10-19 14:59:59"), t("2026-01-01 00:00:00"),
                       t("2029-03-31 14:59:59"), t("2024-06-01 00:00:00")])
    shape = rng.random()
    if shape < 0.1:
        nb = na = base                                   # one second
    else:
        nb = base - dt.timedelta(seconds=rng.choice([0, 1, 86400, 86400 * 400, 86400 * 2000]))
        na = base + dt.timedelta(seconds=rng.choice([0, 1, 86400, 86400 * 400, 86400 * 2000]))
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                                  x509.NameAttribute(NameOID.COMMON_NAME, "DIFF%08d" % i)]))
         .issuer_name(issuer.dn)
         .public_key(ee_key.public_key())
         .serial_number(0x3000000 + i)
         .not_valid_before(nb).not_valid_after(na))
    # keyUsage
    r = rng.random()
    if r < 0.7:
        bits = {"digital_signature"} | ({"content_commitment"} if profile == "signature" else set())
        b = b.add_extension(ku(bits), True)
    elif r < 0.9:
        bits = set(rng.sample(["digital_signature", "content_commitment", "key_encipherment",
                               "key_cert_sign"], rng.randint(1, 3)))
        b = b.add_extension(ku(bits), rng.random() < 0.8)
    # certificatePolicies
    r = rng.random()
    mine = ObjectIdentifier(POLICY[profile])
    if r < 0.6:
        pols = [mine]
    elif r < 0.7:
        pols = [mine, mine]                              # RFC 5280 4.2.1.4
    elif r < 0.78:
        pols = [ObjectIdentifier(ANY_POLICY)]
    elif r < 0.85:
        pols = [ObjectIdentifier("1.2.392.200149.8.5.1.9.99")]
    elif r < 0.92:
        pols = [mine, ObjectIdentifier(POLICY[OTHER[profile]])]
    else:
        pols = None
    if pols:
        b = b.add_extension(x509.CertificatePolicies(
            [x509.PolicyInformation(p, None) for p in pols]),
            profile == "signature" or rng.random() < 0.3)
    # basicConstraints
    r = rng.random()
    if r < 0.6:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), False)
    elif r < 0.7:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    # authorityKeyIdentifier
    r = rng.random()
    if r < 0.7:
        b = b.add_extension(x509.AuthorityKeyIdentifier(issuer.ski.digest, None, None), False)
    elif r < 0.8:
        b = b.add_extension(x509.AuthorityKeyIdentifier(bytes(rng.randrange(256) for _ in range(20)),
                                                        None, None), False)
    if rng.random() < 0.05:
        b = b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"),
                                                       b"\x05\x00"), True)
    der = bytearray(b.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    mutation = ""
    r = rng.random()
    if r < 0.15:
        for _ in range(rng.randint(1, 3)):
            p = rng.randrange(len(der))
            der[p] = rng.randrange(256)
        mutation = "bytes"
    elif r < 0.2:
        der = der[: rng.randrange(1, len(der))]
        mutation = "cut"
    elif r < 0.25:
        der[-1] ^= 1
        mutation = "signature"
    at = rng.choice([nb, na, nb - dt.timedelta(seconds=1), na + dt.timedelta(seconds=1),
                     issuer.not_after, issuer.not_after + dt.timedelta(seconds=1),
                     t("2026-01-01 00:00:00"), t("2022-06-01 00:00:00")])
    return {"id": i, "der": bytes(der), "usage": usage, "at": at, "issuer": issuer.label,
            "mutation": mutation}


def psql(args, stdin=None):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + args, input=stdin,
                          capture_output=True, text=True, check=True).stdout


def ours(cases, roots, tmp):
    db = "mh_x509_differential"
    psql(["-d", "postgres", "-c", "DROP DATABASE IF EXISTS " + db, "-c", "CREATE DATABASE " + db])
    try:
        sql = ["CREATE EXTENSION mynahoken;"]
        for r in roots:
            if r.usage:
                sql.append("SELECT mynahoken.add_trust_anchor('\\x%s'::bytea, '%s') > 0;"
                           % (r.der.hex(), r.usage))
        sql.append("CREATE TABLE c (id int, der bytea, usage mynahoken.certificate_usage, at timestamptz);")
        path = os.path.join(tmp, "cases.tsv")
        with open(path, "w") as f:
            for c in cases:
                f.write("%d\t\\\\x%s\t%s\t%s\n" % (c["id"], c["der"].hex(), c["usage"],
                                                  c["at"].strftime("%Y-%m-%d %H:%M:%S+00")))
        sql.append("\\copy c FROM '%s'" % path)
        q = ("SELECT id, (mynahoken.verify_certificate(der, usage, at)).outcome "
             "FROM c ORDER BY id;")
        sql.append("\\pset format unaligned\n\\pset tuples_only on\n\\pset fieldsep ' '")
        sql.append("SET mynahoken.legacy_rsa_decoder = on;\n\\o %s/on.txt\n%s\n\\o" % (tmp, q))
        sql.append("SET mynahoken.legacy_rsa_decoder = off;\n\\o %s/off.txt\n%s\n\\o" % (tmp, q))
        psql(["-d", db], "\n".join(sql) + "\n")
    finally:
        psql(["-d", "postgres", "-c", "DROP DATABASE IF EXISTS " + db])
    res = {}
    for mode in ("on", "off"):
        with open(os.path.join(tmp, mode + ".txt")) as f:
            res[mode] = dict((int(a), b) for a, b in (line.split() for line in f if line.strip()))
    return res["on"], res["off"]


def openssl_verify(cert_path, anchors_path, usage, at):
    p = subprocess.run(["openssl", "verify", "-no-CApath", "-no-CAstore", "-CAfile", anchors_path,
                        "-attime", str(int(at.timestamp())), "-verify_depth", "0",
                        "-policy", POLICY[usage], "-explicit_policy", cert_path],
                       capture_output=True, text=True)
    out = p.stdout + p.stderr
    if ": OK" in p.stdout and p.returncode == 0:
        return "valid", []
    codes = []
    for line in out.splitlines():
        if line.startswith("error ") and " at " in line:
            try:
                codes.append(int(line.split()[1]))
            except ValueError:
                pass
    if not codes:
        return "malformed", []                       # openssl could not load it
    outs = [ERROR_OUTCOME.get(c, "untrusted_issuer") for c in codes]
    return min(outs, key=lambda o: CLASS[o]), codes


def jpki_profile_ok(der, usage):
    """The JPKI checks a verdict adds when OpenSSL accepts: keyUsage,
    not a CA, the JPKI policy itself."""
    try:
        c = x509.load_der_x509_certificate(der)
        k = c.extensions.get_extension_for_class(x509.KeyUsage).value
        if not k.digital_signature or (usage == "signature" and not k.content_commitment):
            return False
        try:
            if c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                return False
        except x509.ExtensionNotFound:
            pass
        pols = c.extensions.get_extension_for_class(x509.CertificatePolicies).value
        return any(p.policy_identifier.dotted_string == POLICY[usage] for p in pols)
    except Exception:
        return False


def trailing_bytes(der):
    """True when the DER has bytes after its outer SEQUENCE."""
    if len(der) < 2 or der[0] != 0x30:
        return False
    n = der[1]
    if n < 0x80:
        return 2 + n < len(der)
    k = n & 0x7F
    if k == 0 or k > 4 or len(der) < 2 + k:
        return False
    return 2 + k + int.from_bytes(der[2:2 + k], "big") < len(der)


def classify(c, mine, theirs, codes, other, roots):
    """Documented kind of a disagreement, or 'undocumented'."""
    der = c["der"]
    at = c["at"]
    if mine == "malformed" and trailing_bytes(der):
        return "trailing_bytes"
    try:
        cert = x509.load_der_x509_certificate(der)
        na = cert.not_valid_after_utc if hasattr(cert, "not_valid_after_utc") else \
            cert.not_valid_after.replace(tzinfo=UTC)
        has_aki = True
        try:
            cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
        except x509.ExtensionNotFound:
            has_aki = False
    except Exception:
        cert, na, has_aki = None, None, True
    if theirs == "expired" and 10 in codes and (
            (na is not None and na == at) or
            any(r.not_after == at for r in roots if r.usage)):
        return "notafter_inclusive"
    if not has_aki and mine != "bad_signature" and (
            theirs == "bad_signature" or
            (mine == "wrong_usage" and theirs == "untrusted_issuer" and other == "bad_signature")):
        return "issuer_by_signature"
    if CLASS[mine] < CLASS[theirs] and codes and codes[-1] not in CONTINUES:
        return "openssl_stops_at_first_error"
    return "undocumented"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--show", type=int, default=10, help="undocumented disagreements to print")
    ap.add_argument("--explain", default="undocumented", help="kind of disagreement to print")
    a = ap.parse_args()
    random.seed(a.seed)
    rng = random.Random(a.seed)
    roots, ee_key = make_pki()
    cases = [make_case(i, roots, ee_key, rng) for i in range(a.cases)]
    with tempfile.TemporaryDirectory(prefix="mh-x509-diff-") as tmp:
        anchors = {}
        for u in ("authentication", "signature"):
            anchors[u] = os.path.join(tmp, u + ".pem")
            with open(anchors[u], "wb") as f:
                for r in roots:
                    if r.usage == u:
                        f.write(r.pem)
        on, off = ours(cases, roots, tmp)
        kinds = collections.Counter()
        outcomes = collections.Counter()
        shown = 0
        engine_diff = 0
        for c in cases:
            mine = on[c["id"]]
            outcomes[mine] += 1
            if off[c["id"]] != mine:
                engine_diff += 1
            path = os.path.join(tmp, "c.pem")
            with open(path, "wb") as f:
                f.write(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(c["der"]) +
                        b"-----END CERTIFICATE-----\n")
            theirs, codes = openssl_verify(path, anchors[c["usage"]], c["usage"], c["at"])
            other = None
            if theirs == "valid" and not jpki_profile_ok(c["der"], c["usage"]):
                theirs = "wrong_usage"
            if theirs == "untrusted_issuer":
                other, ocodes = openssl_verify(path, anchors[OTHER[c["usage"]]],
                                               OTHER[c["usage"]], c["at"])
                if CLASS[other] > CLASS["bad_signature"]:
                    theirs = "wrong_usage"
            if mine == theirs:
                continue
            kind = classify(c, mine, theirs, codes, other, roots)
            kinds[kind] += 1
            if kind == a.explain and shown < a.show:
                shown += 1
                print("# " + kind + ": case %d (%s, %s at %s, issuer %s, mutation %s): "
                      "mynahoken %s, openssl %s %s" % (c["id"], c["der"][:8].hex(), c["usage"],
                                                       c["at"].isoformat(), c["issuer"],
                                                       c["mutation"] or "none", mine, theirs, codes))
    print("cases: %d (seed %d)" % (len(cases), a.seed))
    print("outcomes: " + ", ".join("%s %d" % (o, outcomes[o]) for o in ORDER if outcomes[o]))
    print("agree: %d" % (len(cases) - sum(kinds.values())))
    print("disagreements by kind: " + (", ".join("%s %d" % kv for kv in sorted(kinds.items()))
                                       or "none"))
    print("legacy RSA decoder on/off disagreements: %d" % engine_diff)
    return 1 if kinds["undocumented"] or engine_diff else 0


if __name__ == "__main__":
    sys.exit(main())
