#!/usr/bin/env bash
# META.json against the PGXN Meta Spec 1.0.0, as the JSON schema
# test/fixtures/pgxn/meta-spec-1.schema.json written from the spec, with
# python3-jsonschema (Draft 2020-12); the schema refuses broken copies; the
# versions agree with mynahoken.control and debian/changelog; the files it
# names exist; the license is PostgreSQL's, as LICENSE says.  Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

/usr/bin/python3 - <<'PY'
import json, re, subprocess
import jsonschema

n = 0
def tap(ok, what, diag=None):
    global n
    n += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    if not ok and diag:
        for line in str(diag).splitlines()[:20]:
            print('# ' + line)

schema = json.load(open('test/fixtures/pgxn/meta-spec-1.schema.json'))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
meta = json.load(open('META.json'))

def errors(doc):
    return ['%s: %s' % ('/'.join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(doc)]

e = errors(meta)
tap(not e, 'META.json is valid against the PGXN Meta Spec 1.0.0 schema', '\n'.join(e))

broken = {
    'without license': lambda m: m.pop('license'),
    'with version "0.2" (not SemVer)': lambda m: m.update(version='0.2'),
    'with license "PostgreSQL License" (not a spec name)': lambda m: m.update(license='PostgreSQL License'),
    'with a provided extension without file': lambda m: m['provides']['mynahoken'].pop('file'),
    'with an unknown key': lambda m: m.update(homepage='x'),
}
for what, spoil in broken.items():
    m = json.loads(json.dumps(meta))
    spoil(m)
    tap(bool(errors(m)), 'the schema refuses META.json ' + what)

control = open('mynahoken.control').read()
default = re.search(r"^default_version\s*=\s*'([^']*)'", control, re.M).group(1)
changelog = subprocess.run(['dpkg-parsechangelog', '-S', 'Version'], capture_output=True, text=True).stdout.strip()
semver = default + '.0' * (2 - default.count('.'))
tap(meta['version'] == semver and meta['provides']['mynahoken']['version'] == semver
    and changelog.split('-')[0] == semver,
    'META.json, mynahoken.control and debian/changelog name one version (%s)' % semver,
    'META %s, provides %s, control %s, changelog %s' % (meta['version'], meta['provides']['mynahoken']['version'], default, changelog))
p = meta['provides']['mynahoken']
tap(p['file'] == 'sql/mynahoken--%s.sql' % default and p['docfile'] and open(p['docfile']) is not None,
    'the install script and docfile META.json names are those of this version', p)
lic = open('LICENSE').read()
tap(meta['license'] == 'postgresql' and 'Permission to use, copy, modify, and distribute this software' in lic,
    'LICENSE is the PostgreSQL License that META.json declares')
print('1..%d' % n)
PY
