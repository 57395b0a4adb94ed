/* test_wire.c - the small protocol messages (proto/wire.h). */
#include "test_util.h"
#include "../../proto/wire.h"

void t_init_wire_tests(void);

static void t_ack_round_trip(void)
{
	/* -1: the parent refused a batch (docs/protocol.md, push ack) */
	static const int64_t cursors[] = { 0, 1, 123456789, -1 };
	for (size_t i = 0; i < sizeof(cursors) / sizeof(cursors[0]); i++) {
		struct wire_ack a = { .acked = cursors[i], .applied = 3, .refused = 2 }, b;
		struct gm_buf buf;
		gm_buf_init(&buf);
		CU_ASSERT_EQUAL_FATAL(wire_ack_encode(&buf, &a), GM_OK);
		CU_ASSERT_EQUAL(wire_ack_decode(buf.p, buf.len, &b), GM_OK);
		CU_ASSERT_EQUAL(b.acked, cursors[i]);
		CU_ASSERT_EQUAL(b.applied, 3);
		CU_ASSERT_EQUAL(b.refused, 2);
		gm_buf_free(&buf);
	}
}

static void t_ack_refuses_other_negatives(void)
{
	/* [1, -2, 0, 0] */
	static const uint8_t msg[] = { 0x94, 0x01, 0xfe, 0x00, 0x00 };
	struct wire_ack b;
	CU_ASSERT_EQUAL(wire_ack_decode(msg, sizeof(msg), &b), GM_E_MALFORMED);
}

/* tests/fuzz/wire_decode/crash-nul-in-code: [1, "44010\0\0\0\x0f", 7, 0, 0] */
static void t_nul_in_code(void)
{
	static const uint8_t msg[] = { 0x95, 0x01, 0xa9, '4', '4', '0', '1', '0', 0, 0, 0, 0x0f,
				       0x07, 0x00, 0x00 };
	static const uint8_t ok[] = { 0x95, 0x01, 0xa5, '4', '4', '0', '1', '0', 0x07, 0x00,
				      0x00 };
	struct wire_hello h;
	CU_ASSERT_EQUAL(wire_hello_decode(ok, sizeof(ok), &h), GM_OK);
	CU_ASSERT_EQUAL(wire_hello_decode(msg, sizeof(msg), &h), GM_E_MALFORMED);
}

void t_init_wire_tests(void)
{
	static const struct t_case cases[] = {
		{ "push ack round trip, refused included", t_ack_round_trip },
		{ "push ack: no cursor below -1", t_ack_refuses_other_negatives },
		{ "a code with a NUL inside is refused", t_nul_in_code },
		{ NULL, NULL },
	};
	t_add_suite("wire", cases);
}
