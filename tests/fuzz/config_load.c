/*
 * config_load.c - fuzzes config_load (node/config.h) on gridnode.conf
 * written from the input.  A file is refused whole with a one-line
 * "path:line: why" and the settings untouched, or loaded; a loaded file,
 * written back by config_dump (what `gridnode -n -v` prints), loads again
 * to the same settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../node/config.h"

/* The settings as config_dump writes them: equal text, equal settings. */
static char *dump(const struct config *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		fuzz_fail("open_memstream");
	config_dump(c, f);
	if (fclose(f) != 0)
		fuzz_fail("dump");
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write(CONFIG_FILE, data, size);
	char err[512] = "";
	struct config c, d;
	size_t l1, l2, l0;

	config_defaults(&c);
	char *t0 = dump(&c, &l0);
	if (config_load(&c, path, false, err, sizeof(err)) != GM_OK) {
		fuzz_one_line(err);
		if (strncmp(err, path, strlen(path)))
			fuzz_fail("a refusal that does not name the file: %s", err);
		char *t = dump(&c, &l1);
		if (l0 != l1 || memcmp(t0, t, l0))
			fuzz_fail("a refused file changed the settings");
		free(t);
		free(t0);
		return 0;
	}
	free(t0);
	char *t1 = dump(&c, &l1);
	fuzz_write(CONFIG_FILE, (const uint8_t *)t1, l1);
	config_defaults(&d);
	if (config_load(&d, path, false, err, sizeof(err)) != GM_OK)
		fuzz_fail("the dump of a loaded file does not load: %s\n%s", err, t1);
	char *t2 = dump(&d, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1))
		fuzz_fail("the dump of a loaded file loads to other settings:\n%s\n---\n%s", t1, t2);
	free(t1);
	free(t2);
	return 0;
}
