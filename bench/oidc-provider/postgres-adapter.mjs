// A PostgreSQL adapter for oidc-provider (its adapter interface: lib/adapters/memory_adapter.js and
// the project's example adapters): every model in one table, as the bench's PostgreSQL mode asks.
//
//   node postgres-adapter.mjs create|drop "<Npgsql-style connection string>"
// creates or drops the database the connection string names (bench/run.sh uses it for both servers).
import pg from 'pg';

// "Host=...;Port=...;Username=...;Password=...;Database=..." (what EIdentity reads) to pg's options.
export function pgOptions(connectionString) {
    const options = {};
    for (const part of connectionString.split(';')) {
        const at = part.indexOf('=');
        if (at <= 0) {
            continue;
        }

        const key = part.slice(0, at).trim().toLowerCase().replaceAll(' ', '');
        const value = part.slice(at + 1).trim();
        switch (key) {
            case 'host': case 'server': options.host = value; break;
            case 'port': options.port = Number(value); break;
            case 'username': case 'userid': case 'user': options.user = value; break;
            case 'password': options.password = value; break;
            case 'database': options.database = value; break;
            default: break;
        }
    }

    return options;
}

// Kinds of model that belong to a grant, and so go when it is revoked (as in the memory adapter).
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

export class PostgresAdapter {
    static #pool;

    static async connect(connectionString) {
        PostgresAdapter.#pool = new pg.Pool({ ...pgOptions(connectionString), max: 20 });
        await PostgresAdapter.#pool.query(`
            CREATE TABLE IF NOT EXISTS oidc_models (
                id text NOT NULL,
                type text NOT NULL,
                payload jsonb NOT NULL,
                grant_id text,
                user_code text,
                uid text,
                expires_at timestamptz,
                PRIMARY KEY (type, id));
            CREATE INDEX IF NOT EXISTS oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
            CREATE INDEX IF NOT EXISTS oidc_models_user_code ON oidc_models (user_code) WHERE user_code IS NOT NULL;
            CREATE INDEX IF NOT EXISTS oidc_models_uid ON oidc_models (uid) WHERE uid IS NOT NULL;`);
        return PostgresAdapter;
    }

    constructor(type) {
        this.type = type;
    }

    static get pool() {
        return PostgresAdapter.#pool;
    }

    async upsert(id, payload, expiresIn) {
        await PostgresAdapter.pool.query(
            `INSERT INTO oidc_models (id, type, payload, grant_id, user_code, uid, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7::int) END)
             ON CONFLICT (type, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
                 user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
            [id, this.type, payload, grantable.has(this.type) ? payload.grantId ?? null : null, payload.userCode ?? null,
                payload.uid ?? null, typeof expiresIn === 'number' ? expiresIn : null]);
    }

    async #findWhere(column, value) {
        const { rows } = await PostgresAdapter.pool.query(
            `SELECT payload FROM oidc_models WHERE type = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())`,
            [this.type, value]);
        return rows[0]?.payload;
    }

    find(id) {
        return this.#findWhere('id', id);
    }

    findByUid(uid) {
        return this.#findWhere('uid', uid);
    }

    findByUserCode(userCode) {
        return this.#findWhere('user_code', userCode);
    }

    async consume(id) {
        await PostgresAdapter.pool.query(
            `UPDATE oidc_models SET payload = payload || jsonb_build_object('consumed', floor(extract(epoch FROM now()))::bigint)
             WHERE type = $1 AND id = $2`,
            [this.type, id]);
    }

    async destroy(id) {
        await PostgresAdapter.pool.query('DELETE FROM oidc_models WHERE type = $1 AND id = $2', [this.type, id]);
    }

    async revokeByGrantId(grantId) {
        await PostgresAdapter.pool.query('DELETE FROM oidc_models WHERE grant_id = $1', [grantId]);
    }
}

// Command line: create or drop the database a connection string names.
if (import.meta.url === `file://${process.argv[1]}`) {
    const [command, connectionString] = process.argv.slice(2);
    const { database, ...server } = pgOptions(connectionString ?? '');
    if (!['create', 'drop'].includes(command) || !database || !/^\w+$/.test(database)) {
        console.error('usage: node postgres-adapter.mjs create|drop "Host=...;Port=...;Username=...;Password=...;Database=<name>"');
        process.exit(2);
    }

    const client = new pg.Client({ ...server, database: 'postgres' });
    await client.connect();
    try {
        await client.query(command === 'create' ? `CREATE DATABASE "${database}"` : `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    } finally {
        await client.end();
    }
}
