#ifndef EMU_ADMIN_INTERNAL_H
#define EMU_ADMIN_INTERNAL_H
/* Shared between admin.c (knobs, config, tokens), admin_catalog.c (catalogue
 * and playlists) and admin_library.c (saved tracks). */
#include <jansson.h>

#include "emu.h"

#define ADMIN_MAX_SEGS 6

/* The body as a JSON object; an absent body is {}. NULL after a 400.
 * Caller json_decref()s. */
json_t *admin_body(struct emu_req *req, struct emu_resp *res);

/* /__admin/playlists[/{id}[/items]] */
void admin_playlists(struct emu_req *req, struct emu_resp *res, char **seg, int nseg);
/* /__admin/{tracks,artists,albums,episodes,users}[/{id}] reads and /__admin/catalog */
void admin_catalog_read(struct emu_req *req, struct emu_resp *res, char **seg, int nseg);

/* /__admin/users/{id}/liked[/{track}] (admin_library.c) */
void admin_liked(struct emu_req *req, struct emu_resp *res, char **seg, int nseg);

#endif
