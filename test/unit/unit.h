/*
 * unit.h: a minimal harness for the C unit tests of src/core.
 *
 * Each test program calls the CHECK macros and ends with UNIT_DONE(), which
 * prints "N passed, N failed" (read by scripts/test.sh) and sets the exit
 * status.  Only failures are printed in detail.
 */
#ifndef MYNAHOKEN_UNIT_H
#define MYNAHOKEN_UNIT_H

#include <stdio.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;

#define CHECK(cond, name) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			printf("not ok - %s (%s:%d: %s)\n", (name), __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_INT(got, want, name) \
	do { \
		long long g_ = (long long) (got), w_ = (long long) (want); \
		if (g_ == w_) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			printf("not ok - %s (%s:%d: got %lld, want %lld)\n", \
				   (name), __FILE__, __LINE__, g_, w_); \
		} \
	} while (0)

#define CHECK_STR(got, want, name) \
	do { \
		const char *g_ = (got), *w_ = (want); \
		if (g_ && w_ && strcmp(g_, w_) == 0) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			printf("not ok - %s (%s:%d: got \"%s\", want \"%s\")\n", \
				   (name), __FILE__, __LINE__, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
		} \
	} while (0)

#define UNIT_DONE() \
	do { \
		printf("%d passed, %d failed\n", unit_passed, unit_failed); \
		return unit_failed == 0 ? 0 : 1; \
	} while (0)

#endif
