# Message catalogues (PGXS NLS: src/nls-global.mk of PostgreSQL).  The
# messages are those of the C code and those of the SQL routines
# (raise_error, raise_notice and mynahoken.gettext of sql/install/*.sql,
# extracted by scripts/sql_messages.py).  scripts/po.sh merges and lists what
# is left to translate.
CATALOG_NAME     = mynahoken
AVAIL_LANGUAGES  = ja
GETTEXT_FILES    = $(sort $(wildcard src/*.c src/core/*.c)) po/sql-messages.pot
GETTEXT_TRIGGERS = $(BACKEND_COMMON_GETTEXT_TRIGGERS) gettext_noop MH_N_ mh_gettext mh_tr:2
GETTEXT_FLAGS    = $(BACKEND_COMMON_GETTEXT_FLAGS) mh_tr:2:c-format
# the messages name Japanese terms (資格確認書, 法別番号)
XGETTEXT        += --from-code=UTF-8
