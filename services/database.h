#ifndef PLAYROUTER_DATABASE_H
#define PLAYROUTER_DATABASE_H
/* The database connections of the layers above services: taken from the app's pool
 * (repositories/db.h) for a short piece of work and given back. Handlers and
 * middleware never name the pool; they hold a `struct db *` only to pass it down. */
struct app;
struct db;

/* A connection from the pool, waiting up to timeout_ms; NULL when none is free in
 * time (the caller answers 503) or the app has no database. Give it back with
 * database_release(). */
struct db *database_acquire(struct app *app, int timeout_ms);
/* Gives back a connection from database_acquire(); NULL ok. */
void database_release(struct app *app, struct db *db);

/* Around a Spotify call made by a service that holds a connection (the request's): the
 * connection goes back to the pool meanwhile (issue #12: no request holds a connection
 * across a Spotify call) and comes back, the same one, after it:
 *     int lent = database_lend(app, db);
 *     ... Spotify ...
 *     if (database_reclaim(app, db, lent) != 0) return ERR_UNAVAILABLE;
 * database_lend() returns 0 when lent, -1 when kept (NULL db, or a transaction is open);
 * database_reclaim() with that value: 0, or ERR_UNAVAILABLE when it did not come back
 * within DATABASE_RECLAIM_WAIT_MS (the caller must then not use db). */
#define DATABASE_RECLAIM_WAIT_MS 5000
int database_lend(struct app *app, struct db *db);
int database_reclaim(struct app *app, struct db *db, int lent);

#endif
