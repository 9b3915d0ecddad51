#!/usr/bin/env python3
"""Run the SQL blocks of the docs and print TAP, one test per block.

    doc_blocks.py --template DB --cron-db DB --workdir DIR FILE...

Every fenced block needs a language.  ```sql blocks run; others (```sh,
```text, ```json, ...) are not SQL and are not run.  An HTML comment directly
above a ```sql fence (blank lines between are not allowed) changes how the block
runs:

    <!-- doc-test: skip REASON -->         not run (a fragment, a file on the server, ...)
    <!-- doc-test: error SQLSTATE -->      must raise errors, every one with SQLSTATE
    <!-- doc-test: cron -->                runs in the pg_cron database, rolled back
    <!-- doc-test: rollback -->            runs (with its setup) in a transaction rolled
                                           back: roles and grants are cluster-wide
    <!-- doc-test: setup
    SQL the block needs, run just before it and not shown
    -->

The blocks of one file run in order, in one psql session (the reader's), on a
database cloned from the template for that file alone, so that a page may build
on its own earlier blocks and no page sees another's objects.  Autocommit, as in
psql: a block may CALL procedures that commit.  A statement's error is mapped
to the block, and to the file's line, by psql's line numbers.  See
doc/architecture.md, "Docs that run".
"""
import argparse
import os
import re
import subprocess
import sys

FENCE = re.compile(r'^(\s*)```(.*)$')
DIRECTIVE = re.compile(r'^\s*<!--\s*doc-test:\s*(.*?)\s*(-->)?\s*$')
PSQL_MSG = re.compile(r'^psql:(?P<file>[^:]+):(?P<line>\d+): (?P<sev>ERROR|FATAL|error):\s+'
                      r'(?:(?P<state>[0-9A-Z]{5}): )?(?P<msg>.*)$')
PLAIN_MSG = re.compile(r'^(?P<sev>ERROR|FATAL):\s+(?:(?P<state>[0-9A-Z]{5}): )?(?P<msg>.*)$')


class Block:
    def __init__(self, path, line, lang, body):
        self.path, self.line, self.lang, self.body = path, line, lang, body
        self.skip = None        # reason
        self.error = None       # expected SQLSTATE
        self.cron = False
        self.rollback = False
        self.setup = []         # lines
        self.problems = []      # directive problems

    @property
    def name(self):
        return '%s:%d' % (self.path, self.line)


def parse_directives(block, comment_lines):
    """comment_lines: the lines of the HTML comments above the fence."""
    i = 0
    while i < len(comment_lines):
        m = DIRECTIVE.match(comment_lines[i])
        if not m:
            block.problems.append('not a doc-test comment: %s' % comment_lines[i].strip())
            i += 1
            continue
        words, closed = m.group(1), m.group(2)
        i += 1
        kind, _, arg = words.partition(' ')
        if kind == 'setup':
            if arg:
                block.setup.append(arg)
            while not closed and i < len(comment_lines):
                line = comment_lines[i]
                i += 1
                if line.strip() == '-->':
                    closed = True
                else:
                    block.setup.append(line)
            if not closed:
                block.problems.append('setup comment not closed with a line "-->"')
        elif not closed:
            block.problems.append('doc-test comment must end on its line: %s' % words)
        elif kind == 'skip':
            block.skip = arg or 'marked skip'
        elif kind == 'error':
            if not re.fullmatch(r'[0-9A-Z]{5}', arg):
                block.problems.append('error needs a SQLSTATE: %s' % arg)
            block.error = arg
        elif kind == 'cron':
            block.cron = True
        elif kind == 'rollback':
            block.rollback = True
        else:
            block.problems.append('unknown doc-test directive: %s' % kind)


def extract(path, display):
    lines = open(path, encoding='utf-8').read().split('\n')
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2).strip()
        start = i
        body = []
        i += 1
        while i < len(lines) and not re.match(r'^%s```\s*$' % re.escape(indent), lines[i]):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1
        b = Block(display, start + 1, lang, body)
        # the HTML comments directly above the fence, each from "<!--" to "-->"
        j = start - 1
        comment = []
        while j >= 0 and lines[j].strip().endswith('-->'):
            k = j
            while k >= 0 and '<!--' not in lines[k]:
                k -= 1
            if k < 0:
                break
            comment = lines[k:j + 1] + comment
            j = k - 1
        if comment:
            parse_directives(b, comment)
        blocks.append(b)
    return blocks


def psql(args, db, stdin_files, cwd):
    cmd = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=0', '-v', 'VERBOSITY=verbose',
           '-P', 'pager=off', '-d', db] + args
    for f in stdin_files:
        cmd += ['-f', f]
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, errors='replace')
    return p.returncode, p.stderr.split('\n')


def errors_of(stderr_lines):
    """(file or None, line or None, severity, sqlstate, message) of every error."""
    out = []
    for line in stderr_lines:
        m = PSQL_MSG.match(line)
        if m:
            out.append((m.group('file'), int(m.group('line')), m.group('sev'),
                        m.group('state') or ('psql' if m.group('sev') == 'error' else '?'),
                        m.group('msg')))
            continue
        m = PLAIN_MSG.match(line)
        if m:
            out.append((None, None, m.group('sev'), m.group('state') or '?', m.group('msg')))
    return out


def cluster_roles():
    p = subprocess.run(['psql', '-X', '-qAt', '-d', 'postgres', '-c', 'SELECT rolname FROM pg_roles'],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return set(p.stdout.split())


def sql_admin(sql):
    p = subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-c', sql],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
    return p.returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--template', required=True)
    ap.add_argument('--search-path', required=True)
    ap.add_argument('--cron-db', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--root', required=True)
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()

    n = 0
    failed = 0
    summary = []

    def report(ok, name, diag=(), directive=''):
        nonlocal n, failed
        n += 1
        if not ok:
            failed += 1
        print('%s %d - %s%s' % ('ok' if ok else 'not ok', n, name, directive))
        for d in diag:
            print('#   ' + d)
        sys.stdout.flush()

    for k, rel in enumerate(a.files):
        blocks = extract(os.path.join(a.root, rel), rel)
        sql_blocks = [b for b in blocks if b.lang == 'sql']
        file_failed = 0
        for b in blocks:
            if b.lang == '':
                report(False, '%s fenced block has a language' % b.name,
                       ['%s: mark it ```sql, ```sh, ```text, ...' % b.name])
                file_failed += 1
        run = [b for b in sql_blocks if b.skip is None and not b.problems]
        local = [b for b in run if not b.cron]

        # One session for the page: its blocks, each preceded by its setup.
        results = {}
        roles_before = cluster_roles()
        if local:
            db = 'mh_doc_%d' % k
            script = os.path.join(a.workdir, 'page-%d.sql' % k)
            linemap = {}    # script line -> (block, doc line or None for setup)
            out = []
            for b in local:
                out.append('-- %s' % b.name)
                if b.rollback:
                    out.append('BEGIN;')
                    linemap[len(out)] = (b, None)
                for s in b.setup:
                    out.append(s)
                    linemap[len(out)] = (b, None)
                for off, s in enumerate(b.body, start=1):
                    out.append(s)
                    linemap[len(out)] = (b, b.line + off)
                # a block's last statement needs no semicolon in the text of
                # the doc, but psql needs one to run it
                out.append(';')
                linemap[len(out)] = (b, b.line + len(b.body))
                if b.rollback:
                    out.append('ROLLBACK;')
                    linemap[len(out)] = (b, b.line + len(b.body))
            with open(script, 'w', encoding='utf-8') as f:
                f.write('\n'.join(out) + '\n')
            ok = (sql_admin('DROP DATABASE IF EXISTS %s WITH (FORCE)' % db)
                  and sql_admin('CREATE DATABASE %s TEMPLATE %s STRATEGY = FILE_COPY' % (db, a.template))
                  and sql_admin('ALTER DATABASE %s SET search_path = %s' % (db, a.search_path)))
            if not ok:
                for b in local:
                    results[b] = [('?', 'could not clone the demo database for %s' % rel)]
            else:
                _, err = psql([], db, [script], a.workdir)
                for b in local:
                    results[b] = []
                for f, line, sev, state, msg in errors_of(err):
                    where = linemap.get(line) if f and os.path.basename(f) == os.path.basename(script) else None
                    if where is None:
                        # no line (connection lost): every block after it is suspect
                        for b in local:
                            results[b].append(('?', '%s %s: %s' % (sev, state, msg)))
                        continue
                    b, docline = where
                    at = '%s:%d' % (rel, docline) if docline else '%s (setup comment)' % b.name
                    results[b].append((state, '%s: %s %s: %s' % (at, sev, state, msg)))
                # pg_cron jobs a block scheduled from the page's database
                # (through dblink, which a rollback does not undo)
                subprocess.run(['psql', '-X', '-q', '-d', a.cron_db, '-c',
                                "SELECT cron.unschedule(jobid) FROM cron.job WHERE database = '%s'" % db],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                sql_admin('DROP DATABASE IF EXISTS %s WITH (FORCE)' % db)

        for b in [b for b in run if b.cron]:
            script = os.path.join(a.workdir, 'cron.sql')
            body = ['BEGIN;'] + b.setup + b.body + [';', 'ROLLBACK;']
            with open(script, 'w', encoding='utf-8') as f:
                f.write('\n'.join(body) + '\n')
            _, err = psql([], a.cron_db, [script], a.workdir)
            results[b] = []
            for f, line, sev, state, msg in errors_of(err):
                docline = b.line + line - 1 - len(b.setup) if line else None
                at = '%s:%d' % (rel, docline) if docline and docline > b.line else b.name
                results[b].append((state, '%s: %s %s: %s (in the pg_cron database)' % (at, sev, state, msg)))

        # Roles are cluster-wide: the ones a page created (a tutorial's
        # CREATE ROLE) go with its database, so that every page starts alike.
        for r in sorted(cluster_roles() - roles_before):
            sql_admin('DROP ROLE "%s"' % r.replace('"', '""'))

        for b in sql_blocks:
            if b.problems:
                report(False, b.name, ['%s: %s' % (b.name, p) for p in b.problems])
                file_failed += 1
                continue
            if b.skip is not None:
                report(True, b.name, directive=' # skip ' + b.skip)
                continue
            errs = results.get(b, [])
            if b.error:
                bad = [m for s, m in errs if s != b.error]
                if not errs:
                    report(False, b.name, ['%s: expected an error %s, the block ran without one'
                                           % (b.name, b.error)])
                    file_failed += 1
                elif bad:
                    report(False, b.name, ['expected %s, got:' % b.error] + bad)
                    file_failed += 1
                else:
                    report(True, b.name + ' (fails with %s, as it says)' % b.error)
            elif errs:
                report(False, b.name, [m for _, m in errs])
                file_failed += 1
            else:
                report(True, b.name)
        summary.append('%s: %d sql blocks, %d skipped, %d failed'
                       % (rel, len(sql_blocks), sum(1 for b in sql_blocks if b.skip is not None),
                          file_failed))

    # Stale text the blocks cannot catch: README's table of roles lists the
    # roles the install script creates, no more, no fewer.
    created = set()
    install = os.path.join(a.root, 'sql', 'install')
    for f in sorted(os.listdir(install)):
        created |= set(re.findall(r'CREATE ROLE (mynahoken_[a-z_]+)', open(os.path.join(install, f)).read()))
    readme = open(os.path.join(a.root, 'README.md'), encoding='utf-8').read()
    roles = readme.split('### Roles', 1)[-1].split('\n## ', 1)[0]
    listed = set(re.findall(r'^\| `(mynahoken_[a-z_]+)`', roles, re.M))
    report(created == listed, "README.md's table of roles lists the roles CREATE EXTENSION creates",
           ['created, not listed: %s' % ', '.join(sorted(created - listed)),
            'listed, not created: %s' % ', '.join(sorted(listed - created))] if created != listed else ())

    # Every file of the repository a page names exists (placeholders such as
    # NN_name.sql aside): no dangling reference to notes outside the repository.
    top = '|'.join(re.escape(d) for d in sorted(os.listdir(a.root))
                   if os.path.isdir(os.path.join(a.root, d)) and not d.startswith('.'))
    path_re = re.compile(r'(?<![\w/.-])((?:\.\./)+[\w./-]*\w|(?:%s)/[\w./-]*\w)' % top)
    for rel in a.files:
        text = open(os.path.join(a.root, rel), encoding='utf-8').read()
        missing = []
        for lineno, line in enumerate(text.split('\n'), start=1):
            for m in path_re.finditer(line):
                ref = m.group(1)
                if re.search(r'NN|name|subsystem|module|version|<|\*', ref, re.I) or '<' in line[m.end():m.end() + 3]:
                    continue
                if ref.startswith('../'):
                    target = os.path.join(a.root, os.path.dirname(rel), ref)
                else:
                    target = os.path.join(a.root, ref)
                built = '/bin/' in ref or os.path.exists(target + '.c')   # made by make
                if not os.path.exists(target) and not built:
                    missing.append('%s:%d: %s' % (rel, lineno, ref))
        report(not missing, '%s names only files of the repository' % rel, missing)

    for s in summary:
        print('# ' + s)
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
