#include "repositories/migration.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

static int sha256_hex(const char *text, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return -1;
    util_hex_encode(md, 32, out);
    return 0;
}

/* The checksum recorded for `name`: 1 found (copied to out), 0 not recorded, -1 error. */
static int recorded_checksum(sqlite3 *db, const char *name, char out[65])
{
    sqlite3_stmt *st = NULL;
    int found = -1;
    if (sqlite3_prepare_v2(db, "SELECT checksum FROM schema_migrations WHERE name = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(out, 65, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    } else if (rc == SQLITE_DONE) {
        found = 0;
    }
done:
    sqlite3_finalize(st);
    return found;
}

static int count_unknown(sqlite3 *db, const struct migration *list, struct report *rep)
{
    sqlite3_stmt *st = NULL;
    int bad = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM schema_migrations ORDER BY name", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int known = 0;
        for (const struct migration *m = list; m->name; m++)
            known |= strcmp(m->name, name) == 0;
        if (!known && !bad) {
            report_message(rep,
                           "migration %s is recorded in the database but unknown to this binary "
                           "(a newer version wrote this database?)",
                           name);
            bad = 1;
        }
    }
    sqlite3_finalize(st);
    return bad;
}

int migration_apply_all(sqlite3 *db, const struct migration *list, int *applied_out,
                        struct report *rep)
{
    char *msg = NULL;
    int applied = 0;
    if (sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
                     NULL, NULL, &msg) != SQLITE_OK) {
        report_message(rep, "migrations: cannot create schema_migrations: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    if (count_unknown(db, list, rep) != 0)
        return -1;
    for (const struct migration *m = list; m->name; m++) {
        char sum[65], old[65];
        if (sha256_hex(m->sql, sum) != 0) {
            report_message(rep, "migrations: cannot checksum %s", m->name);
            return -1;
        }
        int found = recorded_checksum(db, m->name, old);
        if (found < 0) {
            report_message(rep, "migrations: cannot read schema_migrations: %s",
                           sqlite3_errmsg(db));
            return -1;
        }
        if (found) {
            if (strcmp(old, sum) != 0) {
                report_message(
                    rep,
                    "migration %s was changed after it was applied (checksum %.12s… in the "
                    "database, %.12s… in this binary): add a new migration instead",
                    m->name, old, sum);
                return -1;
            }
            continue;
        }
        /* Each migration in its own transaction, recorded in the same one. */
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
            report_message(rep, "migration %s failed: %s", m->name, msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        sqlite3_stmt *st = NULL;
        char now[21];
        util_time_format(time(NULL), now);
        int ok = sqlite3_prepare_v2(db,
                                    "INSERT INTO schema_migrations(name, checksum, applied_at) "
                                    "VALUES (?1, ?2, ?3)",
                                    -1, &st, NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, sum, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
            ok = sqlite3_step(st) == SQLITE_DONE;
        }
        sqlite3_finalize(st);
        if (!ok || sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            report_message(rep, "migration %s could not be recorded: %s", m->name,
                           msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        applied++;
    }
    if (applied_out)
        *applied_out = applied;
    return 0;
}
