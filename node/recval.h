/*
 * recval.h - values out of a store record by column name, for the modules
 * that read records of the replicated tables (thresholds, assets).
 */
#ifndef GM_RECVAL_H
#define GM_RECVAL_H

#include <stdbool.h>
#include <string.h>
#include "store.h"

/* The record's value of column `name` (which must exist in its table). */
static inline const struct gm_value *rec_col(const struct store_rec *r, const char *name)
{
	return &r->vals[schema_col(r->tab, name, strlen(name))];
}

/* An INT or REAL value as a double; false for nil and text. */
static inline bool val_num(const struct gm_value *v, double *d)
{
	if (v->type == GM_REAL)
		*d = v->d;
	else if (v->type == GM_INT)
		*d = (double)v->i;
	else
		return false;
	return true;
}

#endif
