#!/usr/bin/env python3
"""Extract the messages of the SQL routines for the message catalogue.

    python3 scripts/sql_messages.py sql/install/*.sql > po/sql-messages.pot

Prints a .pot (read by xgettext with the C sources, nls.mk) of:
  - the literal message, detail and hint of every mynahoken.raise_error and
    mynahoken.raise_notice call, which the C function translates;
  - the argument of every mynahoken.gettext('...') call, a message composed
    with format() that is translated before it is formatted:
        pg_catalog.format(mynahoken.gettext('rule version %s is %s'), v, s)

A message, detail or hint that holds a string literal but is neither a
literal nor translated with mynahoken.gettext cannot be translated: it is
reported on standard error, and the exit status is 1.
"""
import re
import sys

CALL = re.compile(r'mynahoken\.(raise_error|raise_notice|gettext)\s*\(')
# the texts of each routine, by position and by name
POSITIONS = {'raise_error': {1: 'message', 2: 'detail', 3: 'hint'},
             'raise_notice': {0: 'message', 1: 'detail', 2: 'hint'}}
NAMED = re.compile(r'^\s*(message|detail|hint)\s*=>\s*(.*)$', re.S)
LITERAL = re.compile(r"^\s*(?:pg_catalog\.)?'((?:[^']|'')*)'\s*$", re.S)
STRING = re.compile(r"'(?:[^']|'')*'")
# PostgreSQL format() directives that are also C printf ones
FORMAT_DIRECTIVE = re.compile(r'%(?:\d+\$)?[sILl%]?')


def split_args(text, start):
    """The top-level arguments of the call whose '(' is at start-1."""
    args, depth, i, cur = [], 0, start, start
    while i < len(text):
        c = text[i]
        if c == "'":
            i += 1
            while i < len(text):
                if text[i] == "'" and text[i + 1:i + 2] == "'":
                    i += 2
                    continue
                if text[i] == "'":
                    break
                i += 1
        elif c == '(' or c == '[':
            depth += 1
        elif c == ')' or c == ']':
            if depth == 0:
                args.append(text[cur:i])
                return args
            depth -= 1
        elif c == ',' and depth == 0:
            args.append(text[cur:i])
            cur = i + 1
        elif c == '-' and text[i + 1:i + 2] == '-':
            while i < len(text) and text[i] != '\n':
                i += 1
        i += 1
    raise ValueError('unbalanced call')


def po_quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'


def main(files):
    entries = {}        # msgid -> (references, is_format)
    order = []
    problems = []

    def add(msgid, ref, is_format):
        if msgid not in entries:
            entries[msgid] = ([], is_format)
            order.append(msgid)
        entries[msgid][0].append(ref)

    for path in files:
        text = open(path, encoding='utf-8').read()
        for m in CALL.finditer(text):
            linestart = text.rfind('\n', 0, m.start()) + 1
            before = text[linestart:m.start()]
            if '--' in before or before.rstrip().endswith('FUNCTION'):
                continue        # a comment, or the routine's own declaration
            line = text.count('\n', 0, m.start()) + 1
            ref = '%s:%d' % (path, line)
            name = m.group(1)
            args = split_args(text, m.end())
            if name == 'gettext':
                lit = LITERAL.match(args[0])
                if lit:         # else a text of the catalogue chosen at run time
                    add(lit.group(1).replace("''", "'"), ref, True)
                continue
            for pos, arg in enumerate(args):
                named = NAMED.match(arg)
                if named:
                    role, expr = named.group(1), named.group(2)
                else:
                    role, expr = POSITIONS[name].get(pos), arg
                if role is None:
                    continue
                lit = LITERAL.match(expr)
                if lit:
                    add(lit.group(1).replace("''", "'"), ref, False)
                elif STRING.search(expr) and 'mynahoken.gettext' not in expr:
                    problems.append('%s: the %s of %s is composed without mynahoken.gettext: %s'
                                    % (ref, role, name, ' '.join(expr.split())))

    out = sys.stdout
    out.write('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n')
    for msgid in order:
        refs, is_format = entries[msgid]
        out.write('\n#: %s\n' % ' '.join(refs))
        if '%' in msgid:
            directives = FORMAT_DIRECTIVE.findall(msgid)
            c_like = is_format and all(d in ('%%',) or d.endswith('s') for d in directives)
            out.write('#, c-format\n' if c_like else '#, no-c-format\n')
        out.write('msgid %s\nmsgstr ""\n' % po_quote(msgid))
    for p in problems:
        sys.stderr.write('sql_messages.py: %s\n' % p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
