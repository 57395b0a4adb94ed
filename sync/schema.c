/* schema.c - the one table that defines every replicated table. */
#include <string.h>
#include "schema.h"

#define C(n, t, f) { n, t, f }

static const struct col_def ticket_cols[] = {
	C("category", GM_TEXT, COL_REQUIRED),   /* GB/T 30428 event class */
	C("title", GM_TEXT, COL_REQUIRED),
	C("descr", GM_TEXT, 0),
	C("lat", GM_REAL, 0),
	C("lon", GM_REAL, 0),
	C("address", GM_TEXT, 0),               /* of the problem, not a person */
	C("source", GM_TEXT, 0),                /* citizen_app, grid_worker, ... */
	C("priority", GM_INT, 0),               /* 1 (urgent) .. 5 */
	C("status", GM_TEXT, COL_REQUIRED),
	C("assignee", GM_TEXT, 0),
	C("deadline", GM_INT, 0),               /* unix seconds */
	C("created", GM_INT, 0),                /* unix seconds */
	C("closed", GM_INT, 0),                 /* unix seconds, set on close */
};

static const struct col_def asset_cols[] = {
	C("code", GM_TEXT, COL_REQUIRED),       /* GB/T 30428 component class */
	C("name", GM_TEXT, 0),
	C("lat", GM_REAL, 0),
	C("lon", GM_REAL, 0),
	C("address", GM_TEXT, 0),
	C("state", GM_TEXT, COL_REQUIRED),      /* normal, damaged, lost, repair */
	C("inspected", GM_INT, 0),              /* unix seconds */
	C("attrs", GM_TEXT, 0),                 /* JSON object */
};

static const struct col_def household_cols[] = {
	C("address", GM_TEXT, COL_SENSITIVE),
	C("head", GM_TEXT, 0),
	C("note", GM_TEXT, 0),
};

static const struct col_def person_cols[] = {
	C("household", GM_TEXT, 0),
	C("name", GM_TEXT, COL_REQUIRED),
	C("sex", GM_TEXT, 0),
	C("birth_year", GM_INT, 0),
	C("id_card", GM_TEXT, COL_SENSITIVE),
	C("phone", GM_TEXT, COL_SENSITIVE),
	C("address", GM_TEXT, COL_SENSITIVE),
	C("tags", GM_TEXT, COL_SENSITIVE),      /* comma list: elderly_alone, ... */
	C("note", GM_TEXT, COL_SENSITIVE),
};

static const struct col_def category_cols[] = {
	C("major_code", GM_TEXT, 0),
	C("major_name", GM_TEXT, 0),
	C("major_name_en", GM_TEXT, 0),
	C("minor_code", GM_TEXT, 0),
	C("minor_name", GM_TEXT, 0),
};

/* key: e.g. handle-0102, dispatch-p1; see data/time-limits.csv */
static const struct col_def time_limit_cols[] = {
	C("stage", GM_TEXT, COL_REQUIRED),      /* dispatch (register+dispatch) or handle */
	C("category", GM_TEXT, 0),              /* event class 0102, major class 01, or * */
	C("priority", GM_INT, 0),               /* only tickets of this priority; nil = any */
	C("duration", GM_TEXT, COL_REQUIRED),   /* 30wm, 4wh, 1wd, 2h, 10m, 3d */
	C("note", GM_TEXT, 0),
};

#define N(a) (uint8_t)(sizeof(a) / sizeof((a)[0]))

static const struct table_def tables[T__COUNT] = {
	{ T_TICKET, "ticket", CLS_SHARED, N(ticket_cols), ticket_cols },
	{ T_ASSET, "asset", CLS_SHARED, N(asset_cols), asset_cols },
	{ T_HOUSEHOLD, "household", CLS_STREET, N(household_cols), household_cols },
	{ T_PERSON, "person", CLS_STREET, N(person_cols), person_cols },
	{ T_CAT_EVENT, "cat_event", CLS_REF, N(category_cols), category_cols },
	{ T_CAT_COMPONENT, "cat_component", CLS_REF, N(category_cols), category_cols },
	{ T_TIME_LIMIT, "time_limit", CLS_REF, N(time_limit_cols), time_limit_cols },
};

const struct table_def *schema_table(unsigned id)
{
	return id < T__COUNT ? &tables[id] : NULL;
}

const struct table_def *schema_table_by_name(const char *name, size_t len)
{
	for (unsigned i = 0; i < T__COUNT; i++)
		if (strlen(tables[i].name) == len && memcmp(tables[i].name, name, len) == 0)
			return &tables[i];
	return NULL;
}

int schema_col(const struct table_def *t, const char *name, size_t len)
{
	for (int j = 0; j < t->ncols; j++)
		if (strlen(t->cols[j].name) == len && memcmp(t->cols[j].name, name, len) == 0)
			return j;
	return -1;
}

const char *repl_class_name(unsigned cls)
{
	switch (cls) {
	case CLS_SHARED: return "shared";
	case CLS_STREET: return "street";
	case CLS_REF: return "reference";
	}
	return "unknown";
}
