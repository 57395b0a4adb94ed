/* value.c - comparisons of field values. */
#include <string.h>
#include "value.h"

bool gm_value_eq(const struct gm_value *a, const struct gm_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case GM_NIL:
		return true;
	case GM_INT:
		return a->i == b->i;
	case GM_REAL:
		return memcmp(&a->d, &b->d, sizeof(double)) == 0;
	case GM_TEXT:
		return a->len == b->len && (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
	}
	return false;
}
