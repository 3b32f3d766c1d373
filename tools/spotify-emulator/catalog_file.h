#ifndef EMU_CATALOG_FILE_H
#define EMU_CATALOG_FILE_H
/* The JSON catalogue format (README.md, "Catalogue file"): read by --catalog,
 * written by GET /__admin/catalog. Callers hold the catalogue lock as needed. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

/* Loads FILE into an empty catalogue. 0, or -1 with a message in err. */
int catalog_file_load(struct catalog *c, const char *path, char *err, size_t errsz);
/* Appends the entries of items (URI strings or {uri, added_at?, added_by?}) to p;
 * entries without added_at get default_added_at + 60 s per index. 0 or -1 with
 * a message in err (nothing is added then). */
int catalog_file_fill_items(struct catalog *c, struct emu_playlist *p, json_t *items,
                            int64_t default_added_at, char *err, size_t errsz);
/* Writes the whole catalogue in the file format. 0 or -1 (out of memory). */
int catalog_file_export(const struct catalog *c, struct buf *b);
/* One playlist item {uri, added_at, added_by, is_local, type}. */
int catalog_file_item(const struct catalog *c, const struct emu_entry *e, struct buf *b);

#endif
