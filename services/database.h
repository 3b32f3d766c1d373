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

#endif
