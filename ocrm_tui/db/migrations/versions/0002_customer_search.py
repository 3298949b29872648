"""customer search: name characters, ID number and mobile-tail indexes, name-fragment index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00

Name search must answer prefixes and 1–3 character fragments of Chinese names, which
are mostly 2–3 characters long, on a million customers in milliseconds:

- SQLite: an FTS5 index over ``name_chars`` (the name with a space after each Chinese
  character, so that every character is one token and a fragment is a phrase query),
  kept in step with ``customer`` by triggers.
- PostgreSQL: a GIN index over the characters and character pairs of the name
  (``ocrm_name_grams``), kept in step by PostgreSQL itself; the name and pinyin columns
  get the "C" collation so that prefix ranges and their order are by code point
  whatever the server's locale.
"""
import re

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

MOBILE_TAIL = "substr(mobile, length(mobile) - 3)"
COVERING = {"ix_customer_name": "name", "ix_customer_pinyin": "name_pinyin", "ix_customer_initials": "name_initials"}

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE customer_name_fts USING fts5("
    "name_chars, content='customer', content_rowid='id', tokenize='unicode61', detail='full')",
    "CREATE TRIGGER customer_name_fts_insert AFTER INSERT ON customer BEGIN "
    "INSERT INTO customer_name_fts(rowid, name_chars) VALUES (new.id, new.name_chars); END",
    "CREATE TRIGGER customer_name_fts_delete AFTER DELETE ON customer BEGIN "
    "INSERT INTO customer_name_fts(customer_name_fts, rowid, name_chars) VALUES ('delete', old.id, old.name_chars); END",
    "CREATE TRIGGER customer_name_fts_update AFTER UPDATE OF name_chars ON customer BEGIN "
    "INSERT INTO customer_name_fts(customer_name_fts, rowid, name_chars) VALUES ('delete', old.id, old.name_chars); "
    "INSERT INTO customer_name_fts(rowid, name_chars) VALUES (new.id, new.name_chars); END",
]

PG_GRAMS = [
    # Every character and every pair of adjacent characters of a name: 张伟明 →
    # {张, 伟, 明, 张伟, 伟明}. A 1–2 character fragment is one key of the GIN index.
    "CREATE FUNCTION ocrm_name_grams(name text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "SELECT coalesce(array_agg(DISTINCT g), '{}'::text[]) FROM ("
    "SELECT substr(name, i, 1) AS g FROM generate_series(1, char_length(name)) AS i "
    "UNION ALL SELECT substr(name, i, 2) FROM generate_series(1, char_length(name) - 1) AS i) AS grams $$",
    "CREATE INDEX ix_customer_name_grams ON customer USING gin (ocrm_name_grams(name))",
]


def name_chars(name: str) -> str:
    """张伟 → "张 伟"; Latin words stay whole and lower-case (the rule of services/pinyin.py)."""
    return " ".join(t.lower() for t in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+", name))


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_chars', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False,
                                      server_default=''))
        batch_op.create_index('ix_customer_id_number', ['id_number'], unique=False)
        # The name and pinyin indexes carry the scope columns (covering a manager's or an
        # RM's search): re-created below, after PostgreSQL's collation change.
        for name in COVERING:
            batch_op.drop_index(name)
    op.execute(f"CREATE INDEX ix_customer_mobile_tail ON customer ({MOBILE_TAIL})")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for column, length in (("name", 100), ("name_pinyin", 255), ("name_initials", 64)):
            op.execute(f'ALTER TABLE customer ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "C"')
        for statement in PG_GRAMS:
            op.execute(statement)
    for name, column in COVERING.items():
        op.create_index(name, 'customer', [column, 'org_id', 'rm_id'])
    if bind.dialect.name != "postgresql":
        for statement in SQLITE_FTS:
            op.execute(statement)
    # Customers already on file get their name characters (and so their FTS rows).
    rows = bind.execute(sa.text("SELECT id, name FROM customer")).all()
    if rows:
        bind.execute(sa.text("UPDATE customer SET name_chars = :chars WHERE id = :id"),
                     [{"id": r.id, "chars": name_chars(r.name)} for r in rows])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX ix_customer_name_grams")
        op.execute("DROP FUNCTION ocrm_name_grams(text)")
        for column, length in (("name", 100), ("name_pinyin", 255), ("name_initials", 64)):
            op.execute(f'ALTER TABLE customer ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "default"')
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER customer_name_fts_{name}")
        op.execute("DROP TABLE customer_name_fts")
    op.execute("DROP INDEX ix_customer_mobile_tail")
    for name, column in COVERING.items():
        op.drop_index(name, 'customer')
        op.create_index(name, 'customer', [column])
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_id_number')
        batch_op.drop_column('name_chars')
