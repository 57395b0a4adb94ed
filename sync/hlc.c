/* hlc.c - hybrid logical clock. */
#include <time.h>
#include "hlc.h"

void hlc_init(struct hlc *h, uint64_t last, uint64_t max_drift_ms)
{
	h->last = last;
	h->max_drift_ms = max_drift_ms ? max_drift_ms : HLC_DEFAULT_MAX_DRIFT_MS;
}

uint64_t hlc_now(struct hlc *h, uint64_t wall_ms)
{
	uint64_t w = hlc_from_ms(wall_ms);
	/*
	 * Past the wall clock: bump the counter.  A counter overflow carries
	 * into the millisecond part, which keeps the order strict at the cost
	 * of running 1 ms ahead; it takes 65,536 events in one ms to happen.
	 */
	h->last = w > h->last ? w : h->last + 1;
	return h->last;
}

enum gm_err hlc_recv(struct hlc *h, uint64_t remote, uint64_t wall_ms)
{
	if (hlc_ms(remote) > wall_ms + h->max_drift_ms)
		return GM_E_CLOCK;
	if (remote > h->last)
		h->last = remote;
	return GM_OK;
}

uint64_t hlc_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
