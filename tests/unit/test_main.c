/*
 * test_main.c - the CUnit driver.  Every tests/unit/test_<module>.c
 * defines `void t_init_<module>_tests(void)` that adds its suite; the
 * Makefile generates the list (build/test_registry.c), so adding a test
 * file needs no edit here.
 *
 *   test_unit [SUITE...]    run all suites, or only the named ones
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "test_util.h"

extern void (*const t_registry[])(void);

int main(int argc, char **argv)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (size_t i = 0; t_registry[i]; i++)
		t_registry[i]();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (argc > 1) {
		for (int a = 1; a < argc; a++) {
			CU_pSuite s = CU_get_suite(argv[a]);
			if (!s) {
				fprintf(stderr, "no suite '%s'\n", argv[a]);
				CU_cleanup_registry();
				return 2;
			}
			CU_basic_run_suite(s);
		}
	} else {
		CU_basic_run_tests();
	}
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	t_cleanup_dirs();
	return failed ? 1 : 0;
}
