/*
 * C test of include/dpm_core.h, run on the host (gcc) and on a Cortex-M4F
 * under QEMU (arm-none-eabi-gcc, rdimon semihosting). Exits 0 if every
 * check passes, 1 otherwise.
 *
 * 1. A bimodal DPM step (B = 3, first visit, no zeta step) against a
 *    double-precision evaluation of SPEC section 2 written out here.
 * 2. A second step with the zeta update: finite, flags set, zeta moved.
 * 3. Every reachable status code from bad input, each leaving every
 *    output, state array and *losses bit-identical.
 * 4. Log-sum-exp and the status messages.
 * 5. Checkpoints: a state saved into A/B slots, a second write cut
 *    halfway, the state lost and loaded back from the newest complete
 *    slot, bit for bit; a truncated, a corrupted and a short-buffer
 *    call refused with nothing written.
 * 6. The tiled step from features (S never stored) against the stored
 *    step on S = X Y^T and dX = dS Y, dY = dS^T X computed here; an
 *    unknown `features` value and a short `x` refused, nothing written.
 * 7. SogCLR (SPEC section 2 with zeta = 0 and no offset) and InfoNCE
 *    (softmax cross-entropy both ways, mean) against double precision;
 *    a bad first_visit and a bad tau refused, nothing written.
 * 8. SogCLR and InfoNCE from features in tiles against their stored
 *    steps on S = X Y^T, as in 6; a bad first_visit and a NULL x
 *    refused, nothing written. The DPM step from features with S stored
 *    likewise, and its S, dS and weights against the stored step's; a
 *    short S refused, nothing written.
 * 9. The double twins (_f64): the stored DPM, SogCLR and InfoNCE steps
 *    and log-sum-exp against the references of 1 and 7 (to 1e-10), the
 *    tiled steps and the stored DPM step from features against the
 *    stored steps on S = X Y^T, a checkpoint
 *    round trip through the A/B slots (an f32 checkpoint refused); one
 *    bad input per function, its status code checked and nothing
 *    written.
 * 10. The sparse state (dpm_sparse_*), at the capacity this file is
 *    built with (DPM_SPARSE_CAPACITY, as the library must be: checked
 *    with dpm_sparse_capacity and the struct sizes): a stream of
 *    DPM steps in float and double over arbitrary 64-bit ids, twice as
 *    many as the slots, against a model of the id map written here (each
 *    id's slot, the evictions) and against the same steps on dense
 *    states driven by the model's slots (a slot an id takes reset:
 *    flags 0, zeta = zeta_init); checkpoints through A/B slots, the
 *    newer one corrupted, loaded back after a reset (every id's slot,
 *    the arrays bit for bit, the same next eviction); one bad input or
 *    more per function, its status code checked and nothing written.
 */
#include "dpm_core.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define B 3
/* At least dpm_bimodal_scratch_len(B) on every target (32 B with SIMD
   lanes, 3 B on Cortex-M): checked against the library below. */
#define SCRATCH (32 * B)
#define N 6

static int failures = 0;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            printf("FAIL line %d: ", __LINE__);                              \
            printf(__VA_ARGS__);                                             \
            printf("\n");                                                    \
        }                                                                    \
    } while (0)

/* One population's five arrays. */
typedef struct {
    float log_s[N];
    uint8_t s_flags[N];
    float zeta[N];
    float z[N];
    uint8_t z_flags[N];
} Pop;

static DpmStateF32 view(Pop *p, size_t n) {
    DpmStateF32 s = {p->log_s, p->s_flags, p->zeta, p->z, p->z_flags, n};
    return s;
}

/* Everything a step call reads or writes. */
typedef struct {
    float s[B * B];
    size_t ids[B];
    Pop image, text;
    DpmParamsF32 p[2];
    float ds[B * B];
    float w[B * B];
    float scratch[SCRATCH];
    DpmLossesF32 losses;
} Call;

static void setup(Call *c) {
    static const float s[B * B] = {0.9f, 0.2f, -0.1f, 0.3f, 0.7f, 0.1f, 0.0f, 0.4f, 0.8f};
    DpmParamsF32 p0 = {0.1f, 0.9f, DPM_OFFSET_XI, 0.25f, 0, 0.9f, 0.01f, DPM_FIRST_VISIT_BATCH};
    DpmParamsF32 p1 = {0.2f, 0.8f, DPM_OFFSET_VANILLA, 0.0f, 0, 0.5f, 0.02f, DPM_FIRST_VISIT_BATCH};
    DpmStateF32 si, st;
    size_t k;
    memset(c, 0, sizeof *c);
    memcpy(c->s, s, sizeof s);
    c->ids[0] = 4, c->ids[1] = 0, c->ids[2] = 5;
    c->p[0] = p0, c->p[1] = p1;
    si = view(&c->image, N), st = view(&c->text, N);
    CHECK(dpm_state_init_f32(&si, -0.05f) == DPM_OK, "state init");
    CHECK(dpm_state_init_f32(&st, -0.05f) == DPM_OK, "state init");
    for (k = 0; k < B * B; k++) c->ds[k] = 5.0f, c->w[k] = 6.0f;
    c->losses.total = c->losses.image_to_text = c->losses.text_to_image = 8.0f;
}

static int32_t run(Call *c) {
    DpmStateF32 si = view(&c->image, N), st = view(&c->text, N);
    return dpm_bimodal_f32(c->s, B * B, c->ids, B, c->ids, B, &si, &st, &c->p[0], &c->p[1],
                           c->ds, B * B, c->w, B * B, NULL, 0, c->scratch, SCRATCH, &c->losses);
}

static double log_add_exp(double a, double b) {
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

/* One direction of SPEC 2 on a first visit (u = L, FirstVisit::Batch),
 * anchors r, candidates c, score(r, c) = sc[r][c]; adds dS into ds (as
 * ds[c][r] if transposed) and returns the loss; w: the weights [r][c]
 * or NULL; u_out: u of each anchor after the step. */
static double direction(double sc[B][B], const double *zeta_c, double tau, double xi_over_tau,
                        int vanilla, double ds[B][B], int transposed, double w[B][B],
                        double u_out[B]) {
    double loss = 0.0;
    int r, c;
    for (r = 0; r < B; r++) {
        double a[B], L = -INFINITY, log_off, den, wsum = 0.0;
        for (c = 0; c < B; c++) {
            a[c] = (sc[r][c] - sc[r][r] - zeta_c[c]) / tau;
            if (c != r) L = log_add_exp(L, a[c]);
        }
        u_out[r] = L;
        log_off = log((double)(B - 1) / (N - 1)) - (vanilla ? zeta_c[r] / tau : xi_over_tau);
        den = log_add_exp(log_off, L);
        for (c = 0; c < B; c++) {
            double wr = c == r ? 0.0 : exp(a[c] - den);
            double *d = transposed ? &ds[c][r] : &ds[r][c];
            if (w) w[r][c] = wr;
            *d += wr / B;
            wsum += wr;
            loss += wr * (sc[r][c] - sc[r][r]) / B;
        }
        ds[r][r] -= wsum / B;
    }
    return loss;
}

static int close_to(double got, double want) {
    return fabs(got - want) <= 1e-5 + 1e-4 * fabs(want);
}

static void test_step(void) {
    Call c;
    double s[B][B], st[B][B], ds[B][B] = {{0}}, w[B][B], u_img[B], u_txt[B];
    double zt[B], zi[B], l0, l1;
    int i, j;
    setup(&c);
    CHECK(run(&c) == DPM_OK, "first step");
    for (i = 0; i < B; i++) {
        zt[i] = c.text.zeta[c.ids[i]];
        zi[i] = c.image.zeta[c.ids[i]];
        for (j = 0; j < B; j++) s[i][j] = c.s[i * B + j], st[j][i] = c.s[i * B + j];
    }
    l0 = direction(s, zt, 0.1f, (double)0.25f / (double)0.1f, 0, ds, 0, w, u_img);
    l1 = direction(st, zi, 0.2f, 0.0, 1, ds, 1, NULL, u_txt);
    CHECK(close_to(c.losses.total, l0 + l1), "loss %g vs %g", c.losses.total, l0 + l1);
    CHECK(close_to(c.losses.image_to_text, l0), "loss i2t %g vs %g", c.losses.image_to_text, l0);
    for (i = 0; i < B; i++) {
        size_t id = c.ids[i];
        CHECK(c.image.s_flags[id] == 1 && close_to(c.image.log_s[id], u_img[i]), "u image %d", i);
        CHECK(c.text.s_flags[id] == 1 && close_to(c.text.log_s[id], u_txt[i]), "u text %d", i);
        CHECK(c.image.zeta[id] == -0.05f && c.image.z_flags[id] == 0, "no zeta step");
        for (j = 0; j < B; j++) {
            CHECK(close_to(c.ds[i * B + j], ds[i][j]), "dS[%d][%d] %g vs %g", i, j, c.ds[i * B + j], ds[i][j]);
            CHECK(close_to(c.w[i * B + j], w[i][j]), "w[%d][%d] %g vs %g", i, j, c.w[i * B + j], w[i][j]);
        }
    }
    /* A second step with the zeta update. */
    c.p[0].has_zeta_step = 1, c.p[1].has_zeta_step = 1;
    CHECK(run(&c) == DPM_OK, "second step");
    for (i = 0; i < B; i++) {
        size_t id = c.ids[i];
        CHECK(c.text.z_flags[id] == 1 && isfinite(c.text.z[id]) && c.text.zeta[id] != -0.05f, "zeta step text %d", i);
        CHECK(c.image.z_flags[id] == 1 && isfinite(c.image.z[id]) && c.image.zeta[id] != -0.05f, "zeta step image %d", i);
    }
    CHECK(isfinite(c.losses.total), "second loss finite");
}

/* Breaks one thing of a fresh call, runs it, expects `code` and nothing written. */
static void refused(int32_t code, void (*breaks)(Call *), const char *what) {
    Call c, before;
    int32_t got;
    setup(&c);
    breaks(&c);
    memcpy(&before, &c, sizeof c);
    got = run(&c);
    CHECK(got == code, "%s: got %d (%s), want %d", what, (int)got, dpm_status_message(got), (int)code);
    CHECK(memcmp(c.ds, before.ds, sizeof c.ds) == 0 && memcmp(c.w, before.w, sizeof c.w) == 0, "%s: outputs written", what);
    CHECK(memcmp(&c.image, &before.image, sizeof c.image) == 0 && memcmp(&c.text, &before.text, sizeof c.text) == 0, "%s: state written", what);
    CHECK(memcmp(&c.losses, &before.losses, sizeof c.losses) == 0, "%s: losses written", what);
}

static void nan_score(Call *c) { c->s[4] = NAN; }
static void dup_id(Call *c) { c->ids[2] = c->ids[0]; }
static void big_id(Call *c) { c->ids[1] = N; }
static void zero_tau(Call *c) { c->p[1].tau = 0.0f; }
static void bad_gamma(Call *c) { c->p[0].gamma = 1.5f; }
static void bad_offset(Call *c) { c->p[0].offset = 9; }
static void bad_first_visit(Call *c) { c->p[1].first_visit = 2; }
static void corrupt_flag(Call *c) { c->text.s_flags[3] = 2; }
static void inf_state(Call *c) { c->image.zeta[c->ids[1]] = INFINITY; }
static void huge_scores(Call *c) { c->s[1] = 3e38f; c->p[0].tau = 1e-4f; }

static void test_refusals(void) {
    Call c, before;
    DpmStateF32 si, st;
    Pop one;
    DpmStateF32 small = view(&one, 1);
    refused(DPM_ERR_NON_FINITE, nan_score, "NaN score");
    refused(DPM_ERR_NON_FINITE, inf_state, "infinite zeta");
    refused(DPM_ERR_DUPLICATE_ID, dup_id, "duplicate id");
    refused(DPM_ERR_ID_OUT_OF_RANGE, big_id, "id >= n");
    refused(DPM_ERR_INVALID_PARAMETER, zero_tau, "tau = 0");
    refused(DPM_ERR_INVALID_PARAMETER, bad_gamma, "gamma > 1");
    refused(DPM_ERR_INVALID_PARAMETER, bad_offset, "offset enum");
    refused(DPM_ERR_INVALID_PARAMETER, bad_first_visit, "first_visit enum");
    refused(DPM_ERR_CORRUPT_STATE, corrupt_flag, "flag byte 2");
    refused(DPM_ERR_OUT_OF_RANGE, huge_scores, "huge scores");

    /* Calls that differ in their pointers or lengths. */
    setup(&c);
    memcpy(&before, &c, sizeof c);
    si = view(&c.image, N), st = view(&c.text, N);
#define UNTOUCHED(what) CHECK(memcmp(&c, &before, sizeof c) == 0, "%s: something was written", what)
    CHECK(dpm_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, &c.p[0], &c.p[1], c.ds, B * B,
                          NULL, 0, NULL, 0, c.scratch, dpm_bimodal_scratch_len(B) - 1, &c.losses) == DPM_ERR_LENGTH_MISMATCH, "short scratch");
    UNTOUCHED("short scratch");
    CHECK(dpm_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B - 1, &si, &st, &c.p[0], &c.p[1], c.ds, B * B,
                          NULL, 0, NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_ERR_LENGTH_MISMATCH, "text ids length");
    UNTOUCHED("text ids length");
    CHECK(dpm_bimodal_f32(c.s, 1, c.ids, 1, c.ids, 1, &si, &st, &c.p[0], &c.p[1], c.ds, 1,
                          NULL, 0, NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_ERR_BATCH_TOO_SMALL, "B = 1");
    UNTOUCHED("B = 1");
    CHECK(dpm_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, &c.p[0], &c.p[1], NULL, B * B,
                          NULL, 0, NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_ERR_BAD_POINTER, "NULL ds");
    UNTOUCHED("NULL ds");
    CHECK(dpm_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &si, &c.p[0], &c.p[1], c.ds, B * B,
                          NULL, 0, NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_ERR_BAD_POINTER, "same state twice");
    UNTOUCHED("same state twice");
    CHECK(dpm_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, NULL, &c.p[1], c.ds, B * B,
                          NULL, 0, NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_ERR_BAD_POINTER, "NULL params");
    UNTOUCHED("NULL params");
    CHECK(dpm_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, &c.p[0], &c.p[1], c.ds, B * B,
                          NULL, 0, NULL, 0, c.ds, SCRATCH, &c.losses) == DPM_ERR_BAD_POINTER, "scratch over ds");
    UNTOUCHED("scratch over ds");
    CHECK(dpm_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, &c.p[0], &c.p[1],
                          (float *)((char *)c.ds + 1), B * B - 1, NULL, 0, NULL, 0, c.scratch, SCRATCH,
                          &c.losses) == DPM_ERR_BAD_POINTER, "misaligned ds");
    UNTOUCHED("misaligned ds");

    memset(&one, 7, sizeof one);
    CHECK(dpm_state_init_f32(&small, 0.0f) == DPM_ERR_POPULATION_TOO_SMALL, "n = 1");
    small.n = N;
    CHECK(dpm_state_init_f32(&si, NAN) == DPM_ERR_INVALID_PARAMETER, "NaN zeta_init");
    CHECK(dpm_state_init_f32(NULL, 0.0f) == DPM_ERR_BAD_POINTER, "NULL state");
    UNTOUCHED("state init refusals");
}

static void test_lse_and_messages(void) {
    const float x[3] = {1000.0f, 1000.0f, -INFINITY};
    const float bad[2] = {0.0f, NAN};
    float out = 9.0f;
    int32_t code;
    CHECK(dpm_log_sum_exp_f32(x, 3, &out) == DPM_OK && close_to(out, 1000.0 + log(2.0)), "lse %g", out);
    out = 9.0f;
    CHECK(dpm_log_sum_exp_f32(bad, 2, &out) == DPM_ERR_NON_FINITE && out == 9.0f, "lse NaN");
    CHECK(dpm_log_sum_exp_f32(x, 3, NULL) == DPM_ERR_BAD_POINTER, "lse NULL out");
    CHECK(dpm_log_sum_exp_f32(NULL, 0, &out) == DPM_OK && out == -INFINITY, "lse empty");
    CHECK(dpm_bimodal_scratch_len(B) <= SCRATCH, "scratch len");
    for (code = -2; code <= 14; code++) {
        const char *m = dpm_status_message(code);
        CHECK(m != NULL && strcmp(m, "unknown status code") != 0, "message of %d", (int)code);
    }
    CHECK(strcmp(dpm_status_message(99), "unknown status code") == 0, "unknown code");
}

/* The checkpoint of two A/B slots of a state after a step. */
#define CK_LEN (28 + 13 * N)

static void test_checkpoints(void) {
    Call c;
    Pop saved, lost;
    uint8_t a[CK_LEN], b[CK_LEN], keep[CK_LEN];
    DpmStateF32 si;
    uint32_t slot = 9;
    uint64_t seq = 0;
    CHECK(dpm_checkpoint_len_f32(N) == CK_LEN, "checkpoint length %u", (unsigned)dpm_checkpoint_len_f32(N));
    setup(&c);
    CHECK(run(&c) == DPM_OK, "step before the checkpoint");
    si = view(&c.image, N);
    memset(a, 0xff, sizeof a), memset(b, 0xff, sizeof b); /* erased flash */
    CHECK(dpm_state_next_slot_f32(&si, a, CK_LEN, b, CK_LEN, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "first slot %u seq %u", (unsigned)slot, (unsigned)seq);
    CHECK(dpm_state_save_f32(&si, seq, a, CK_LEN) == DPM_OK, "save to A");
    memcpy(&saved, &c.image, sizeof saved);
    CHECK(dpm_state_next_slot_f32(&si, a, CK_LEN, b, CK_LEN, &slot, &seq) == DPM_OK && slot == 1 && seq == 2,
          "second slot %u seq %u", (unsigned)slot, (unsigned)seq);
    /* A second step, its checkpoint cut halfway into B (power lost). */
    CHECK(run(&c) == DPM_OK, "second step");
    CHECK(dpm_state_save_f32(&si, seq, keep, CK_LEN) == DPM_OK, "save the second");
    memcpy(b, keep, CK_LEN / 2);
    /* Reset: the state is lost, then loaded back from the newest complete slot. */
    CHECK(dpm_state_init_f32(&si, 3.0f) == DPM_OK, "reset");
    slot = 9, seq = 0;
    CHECK(dpm_state_load_newest_f32(&si, a, CK_LEN, b, CK_LEN, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "load newest: slot %u seq %u", (unsigned)slot, (unsigned)seq);
    CHECK(memcmp(&c.image, &saved, sizeof saved) == 0, "the state after loading is not the saved one");
    /* Refusals: nothing written. */
    memcpy(&lost, &c.image, sizeof lost);
    CHECK(dpm_state_load_f32(&si, a, CK_LEN - 1, &seq) == DPM_ERR_BAD_CHECKPOINT && seq == 1, "truncated");
    a[40] ^= 4;
    CHECK(dpm_state_load_f32(&si, a, CK_LEN, NULL) == DPM_ERR_BAD_CHECKPOINT, "corrupted");
    CHECK(memcmp(&c.image, &lost, sizeof lost) == 0, "a refused load wrote the state");
    memset(b, 0x5a, sizeof b);
    CHECK(dpm_state_save_f32(&si, 5, b, CK_LEN - 1) == DPM_ERR_LENGTH_MISMATCH, "short buffer");
    CHECK(b[0] == 0x5a && b[CK_LEN - 2] == 0x5a, "a refused save wrote the buffer");
    CHECK(dpm_state_next_slot_f32(&si, a, CK_LEN, b, CK_LEN, NULL, &seq) == DPM_ERR_BAD_POINTER, "next slot NULL");
}

#define D 4
/* At least dpm_tiled_scratch_len(B, D) on every target (824 with SIMD
   lanes, 325 on Cortex-M): checked against the library below. */
#define TSCRATCH 1024

/* Everything a tiled call reads or writes. */
typedef struct {
    float x[B * D], y[B * D];
    Pop image, text;
    float dx[B * D], dy[B * D];
    float scratch[TSCRATCH];
    DpmLossesF32 losses;
} Tiled;

static int32_t run_tiled(Tiled *t, const Call *c, uint32_t features, size_t x_len) {
    DpmStateF32 si = view(&t->image, N), st = view(&t->text, N);
    return dpm_bimodal_tiled_f32(t->x, x_len, t->y, B * D, B, D, features, c->ids, B, c->ids, B, &si, &st,
                                 &c->p[0], &c->p[1], t->dx, B * D, t->dy, B * D, t->scratch, TSCRATCH,
                                 &t->losses);
}

/* Unit rows in t->x, t->y, S = X Y^T (in double, rounded) in c->s, and
   both populations of c copied to t. */
static void tiled_setup(Call *c, Tiled *t) {
    static const float raw_x[B * D] = {0.9f, 0.1f, -0.3f, 0.2f, 0.0f, 1.1f, 0.4f, -0.2f, 0.5f, 0.5f, 0.5f, 0.1f};
    static const float raw_y[B * D] = {1.0f, 0.2f, -0.1f, 0.3f, 0.1f, 0.9f, 0.5f, 0.0f, 0.2f, 0.6f, 0.4f, 0.5f};
    int i, j, k;
    setup(c);
    memset(t, 0, sizeof *t);
    for (i = 0; i < B; i++) {
        double nx = 0.0, ny = 0.0;
        for (k = 0; k < D; k++) nx += (double)raw_x[i * D + k] * raw_x[i * D + k], ny += (double)raw_y[i * D + k] * raw_y[i * D + k];
        for (k = 0; k < D; k++) t->x[i * D + k] = (float)(raw_x[i * D + k] / sqrt(nx)), t->y[i * D + k] = (float)(raw_y[i * D + k] / sqrt(ny));
    }
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++) {
            double dot = 0.0;
            for (k = 0; k < D; k++) dot += (double)t->x[i * D + k] * t->y[j * D + k];
            c->s[i * B + j] = (float)dot;
        }
    memcpy(&t->image, &c->image, sizeof t->image), memcpy(&t->text, &c->text, sizeof t->text);
}

/* A tiled call (t) against a stored one (c, on S = X Y^T): the losses,
   dX = dS Y and dY = dS^T X from the stored dS, and both populations. */
static void check_tiled(const char *what, const Tiled *t, const Call *c) {
    double dx[B][D] = {{0}}, dy[B][D] = {{0}};
    int i, j, k;
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++)
            for (k = 0; k < D; k++) {
                dx[i][k] += (double)c->ds[i * B + j] * t->y[j * D + k];
                dy[j][k] += (double)c->ds[i * B + j] * t->x[i * D + k];
            }
    CHECK(close_to(t->losses.total, c->losses.total), "%s: loss %g vs %g", what, t->losses.total, c->losses.total);
    for (i = 0; i < B; i++)
        for (k = 0; k < D; k++) {
            CHECK(close_to(t->dx[i * D + k], dx[i][k]), "%s: dx[%d][%d] %g vs %g", what, i, k, t->dx[i * D + k], dx[i][k]);
            CHECK(close_to(t->dy[i * D + k], dy[i][k]), "%s: dy[%d][%d] %g vs %g", what, i, k, t->dy[i * D + k], dy[i][k]);
        }
    for (k = 0; k < N; k++) {
        CHECK(t->image.s_flags[k] == c->image.s_flags[k] && close_to(t->image.log_s[k], c->image.log_s[k]), "%s: u image %d", what, k);
        CHECK(t->text.s_flags[k] == c->text.s_flags[k] && close_to(t->text.log_s[k], c->text.log_s[k]), "%s: u text %d", what, k);
    }
}

static void test_tiled(void) {
    Call c;
    Tiled t, before;
    CHECK(dpm_tiled_scratch_len(B, D) <= TSCRATCH, "tiled scratch len %u", (unsigned)dpm_tiled_scratch_len(B, D));
    tiled_setup(&c, &t);
    CHECK(run(&c) == DPM_OK, "stored step for the tiled one");
    /* Refusals first: nothing written. */
    memcpy(&before, &t, sizeof t);
    CHECK(run_tiled(&t, &c, 7, B * D) == DPM_ERR_INVALID_PARAMETER, "unknown features value");
    CHECK(memcmp(t.dx, before.dx, sizeof t.dx) == 0 && memcmp(&t.image, &before.image, sizeof t.image) == 0 &&
              memcmp(&t.losses, &before.losses, sizeof t.losses) == 0,
          "features 7: something was written");
    CHECK(run_tiled(&t, &c, DPM_FEATURES_NORMALIZED, B * D - 1) == DPM_ERR_LENGTH_MISMATCH, "short x");
    CHECK(memcmp(t.dy, before.dy, sizeof t.dy) == 0 && memcmp(&t.text, &before.text, sizeof t.text) == 0,
          "short x: something was written");
    CHECK(run_tiled(&t, &c, DPM_FEATURES_NORMALIZED, B * D) == DPM_OK, "tiled step");
    check_tiled("tiled DPM", &t, &c);
}

static int32_t run_from_features(Tiled *t, const Call *c, float *s, size_t s_len, float *ds, float *w) {
    DpmStateF32 si = view(&t->image, N), st = view(&t->text, N);
    return dpm_bimodal_from_features_f32(t->x, B * D, t->y, B * D, B, D, DPM_FEATURES_NORMALIZED, c->ids, B, c->ids,
                                         B, &si, &st, &c->p[0], &c->p[1], s, s_len, ds, B * B, w, B * B, NULL, 0,
                                         t->dx, B * D, t->dy, B * D, t->scratch, TSCRATCH, &t->losses);
}

/* The DPM step from features with S stored against the stored step on
   S = X Y^T: S, dS, the image weights, and as the tiled step (dX, dY,
   losses, states); a short S refused, nothing written. */
static void test_from_features(void) {
    Call c;
    Tiled t, before;
    float s[B * B], ds[B * B], w[B * B], s0[B * B];
    int k;
    CHECK(dpm_from_features_scratch_len(B, D) <= TSCRATCH, "from-features scratch len %u",
          (unsigned)dpm_from_features_scratch_len(B, D));
    CHECK(dpm_from_features_scratch_len((size_t)-1, D) == (size_t)-1, "from-features scratch len saturates");
    tiled_setup(&c, &t);
    for (k = 0; k < B * B; k++) s[k] = ds[k] = w[k] = 9.0f;
    memcpy(s0, s, sizeof s), memcpy(&before, &t, sizeof t);
    CHECK(run_from_features(&t, &c, s, B * B - 1, ds, w) == DPM_ERR_LENGTH_MISMATCH, "from features: short S");
    CHECK(memcmp(s, s0, sizeof s) == 0 && memcmp(ds, s0, sizeof ds) == 0 && memcmp(w, s0, sizeof w) == 0 &&
              memcmp(t.dx, before.dx, sizeof t.dx) == 0 && memcmp(t.dy, before.dy, sizeof t.dy) == 0 &&
              memcmp(&t.image, &before.image, sizeof t.image) == 0 &&
              memcmp(&t.text, &before.text, sizeof t.text) == 0 &&
              memcmp(&t.losses, &before.losses, sizeof t.losses) == 0,
          "from features, short S: something was written");
    CHECK(run(&c) == DPM_OK, "stored step for the one from features");
    CHECK(run_from_features(&t, &c, s, B * B, ds, w) == DPM_OK, "from-features step");
    for (k = 0; k < B * B; k++) {
        CHECK(close_to(s[k], c.s[k]), "from features: S[%d] %g vs %g", k, s[k], c.s[k]);
        CHECK(close_to(ds[k], c.ds[k]), "from features: dS[%d] %g vs %g", k, ds[k], c.ds[k]);
        CHECK(close_to(w[k], c.w[k]), "from features: w[%d] %g vs %g", k, w[k], c.w[k]);
    }
    check_tiled("from features", &t, &c);
}

/* SogCLR and InfoNCE from features in tiles against their stored steps
   on S = X Y^T; a bad first_visit and a NULL x refused, nothing written. */
static void test_families_tiled(void) {
    Call c;
    Tiled t, before;
    DpmStateF32 si, st, ti, tt;
    DpmSogClrParamsF32 q[2] = {{0.1f, 0.9f, DPM_FIRST_VISIT_BATCH}, {0.2f, 0.8f, DPM_FIRST_VISIT_ZERO_HISTORY}};
    tiled_setup(&c, &t);
    si = view(&c.image, N), st = view(&c.text, N), ti = view(&t.image, N), tt = view(&t.text, N);
    CHECK(dpm_sogclr_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, &q[0], &q[1], c.ds, B * B, NULL, 0,
                                 NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_OK,
          "stored sogclr step");
    CHECK(dpm_sogclr_bimodal_tiled_f32(t.x, B * D, t.y, B * D, B, D, DPM_FEATURES_NORMALIZED, c.ids, B, c.ids, B, &ti,
                                       &tt, &q[0], &q[1], t.dx, B * D, t.dy, B * D, t.scratch, TSCRATCH,
                                       &t.losses) == DPM_OK,
          "tiled sogclr step");
    check_tiled("tiled SogCLR", &t, &c);
    CHECK(dpm_infonce_bimodal_f32(c.s, B * B, B, 0.1f, c.ds, B * B, NULL, 0, NULL, 0, c.scratch, SCRATCH,
                                  &c.losses) == DPM_OK,
          "stored infonce step");
    CHECK(dpm_infonce_bimodal_tiled_f32(t.x, B * D, t.y, B * D, B, D, DPM_FEATURES_NORMALIZED, 0.1f, t.dx, B * D, t.dy,
                                        B * D, t.scratch, TSCRATCH, &t.losses) == DPM_OK,
          "tiled infonce step");
    check_tiled("tiled InfoNCE", &t, &c);
    /* Refusals: nothing written. */
    memcpy(&before, &t, sizeof t);
    q[0].first_visit = 7;
    CHECK(dpm_sogclr_bimodal_tiled_f32(t.x, B * D, t.y, B * D, B, D, DPM_FEATURES_NORMALIZED, c.ids, B, c.ids, B, &ti,
                                       &tt, &q[0], &q[1], t.dx, B * D, t.dy, B * D, t.scratch, TSCRATCH,
                                       &t.losses) == DPM_ERR_INVALID_PARAMETER,
          "tiled sogclr first_visit 7");
    CHECK(dpm_infonce_bimodal_tiled_f32(NULL, B * D, t.y, B * D, B, D, DPM_FEATURES_NORMALIZED, 0.1f, t.dx, B * D, t.dy,
                                        B * D, t.scratch, TSCRATCH, &t.losses) == DPM_ERR_BAD_POINTER,
          "tiled infonce NULL x");
    CHECK(memcmp(t.dx, before.dx, sizeof t.dx) == 0 && memcmp(t.dy, before.dy, sizeof t.dy) == 0 &&
              memcmp(&t.image, &before.image, sizeof t.image) == 0 && memcmp(&t.text, &before.text, sizeof t.text) == 0 &&
              memcmp(&t.losses, &before.losses, sizeof t.losses) == 0,
          "a refused tiled SogCLR or InfoNCE call wrote");
}

/* SogCLR: DPM's direction with zeta = 0 and no offset (xi / tau = +inf
   makes log_off = -inf); InfoNCE: the softmax over every column. */
static double infonce_direction(double sc[B][B], double tau, double ds[B][B], int transposed) {
    double loss = 0.0;
    int r, c;
    for (r = 0; r < B; r++) {
        double lse = -INFINITY;
        for (c = 0; c < B; c++) lse = log_add_exp(lse, sc[r][c] / tau);
        loss += (lse - sc[r][r] / tau) / B;
        for (c = 0; c < B; c++) {
            double g = (exp(sc[r][c] / tau - lse) - (c == r)) / (tau * B) / 2.0;
            *(transposed ? &ds[c][r] : &ds[r][c]) += g;
        }
    }
    return loss / 2.0;
}

static void test_families(void) {
    Call c, before;
    DpmStateF32 si, st;
    DpmSogClrParamsF32 q[2] = {{0.1f, 0.9f, DPM_FIRST_VISIT_BATCH}, {0.2f, 0.8f, DPM_FIRST_VISIT_BATCH}};
    double s[B][B], sT[B][B], ds[B][B] = {{0}}, di[B][B] = {{0}}, u_img[B], u_txt[B], zero[B] = {0};
    double l0, l1;
    int i, j;
    setup(&c);
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++) s[i][j] = c.s[i * B + j], sT[j][i] = c.s[i * B + j];
    si = view(&c.image, N), st = view(&c.text, N);
    CHECK(dpm_sogclr_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, &q[0], &q[1], c.ds, B * B, NULL, 0,
                                 NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_OK,
          "sogclr step");
    l0 = direction(s, zero, 0.1f, INFINITY, 0, ds, 0, NULL, u_img);
    l1 = direction(sT, zero, 0.2f, INFINITY, 0, ds, 1, NULL, u_txt);
    CHECK(close_to(c.losses.total, l0 + l1), "sogclr loss %g vs %g", c.losses.total, l0 + l1);
    for (i = 0; i < B; i++) {
        CHECK(close_to(c.image.log_s[c.ids[i]], u_img[i]) && c.image.z_flags[c.ids[i]] == 0, "sogclr u image %d", i);
        for (j = 0; j < B; j++) CHECK(close_to(c.ds[i * B + j], ds[i][j]), "sogclr dS[%d][%d]", i, j);
    }
    l0 = infonce_direction(s, 0.1f, di, 0) + infonce_direction(sT, 0.1f, di, 1);
    CHECK(dpm_infonce_bimodal_f32(c.s, B * B, B, 0.1f, c.ds, B * B, NULL, 0, NULL, 0, c.scratch, SCRATCH,
                                  &c.losses) == DPM_OK,
          "infonce step");
    CHECK(close_to(c.losses.total, l0), "infonce loss %g vs %g", c.losses.total, l0);
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++) CHECK(close_to(c.ds[i * B + j], di[i][j]), "infonce dS[%d][%d] %g vs %g", i, j, c.ds[i * B + j], di[i][j]);
    /* Refusals: nothing written. */
    memcpy(&before, &c, sizeof c);
    q[1].first_visit = 7;
    CHECK(dpm_sogclr_bimodal_f32(c.s, B * B, c.ids, B, c.ids, B, &si, &st, &q[0], &q[1], c.ds, B * B, NULL, 0,
                                 NULL, 0, c.scratch, SCRATCH, &c.losses) == DPM_ERR_INVALID_PARAMETER,
          "sogclr first_visit 7");
    CHECK(dpm_infonce_bimodal_f32(c.s, B * B, B, -1.0f, c.ds, B * B, NULL, 0, NULL, 0, c.scratch, SCRATCH,
                                  &c.losses) == DPM_ERR_INVALID_PARAMETER,
          "infonce tau < 0");
    CHECK(memcmp(c.ds, before.ds, sizeof c.ds) == 0 && memcmp(&c.image, &before.image, sizeof c.image) == 0 &&
              memcmp(&c.losses, &before.losses, sizeof c.losses) == 0,
          "a refused SogCLR or InfoNCE call wrote");
}

/* 9. The double twins. */
typedef struct {
    double log_s[N];
    uint8_t s_flags[N];
    double zeta[N];
    double z[N];
    uint8_t z_flags[N];
} Pop64;

/* Everything an _f64 call reads or writes; the scratch arrays last, so
   that "nothing written" compares everything before them. */
typedef struct {
    double s[B * B], x[B * D], y[B * D];
    size_t ids[B];
    Pop64 image, text;
    DpmParamsF64 p[2];
    DpmSogClrParamsF64 q[2];
    double ds[B * B], w[B * B], dx[B * D], dy[B * D];
    DpmLossesF64 losses;
    double scratch[SCRATCH], tscratch[TSCRATCH];
} Call64;

#define WRITTEN64(c, before) (memcmp((c), (before), offsetof(Call64, scratch)) != 0)

static DpmStateF64 view64(Pop64 *p) {
    DpmStateF64 s = {p->log_s, p->s_flags, p->zeta, p->z, p->z_flags, N};
    return s;
}

static int close64(double got, double want) {
    return fabs(got - want) <= 1e-12 + 1e-10 * fabs(want);
}

/* The features and ids of section 6 in double, S = X Y^T computed here,
   the parameters of section 1, fresh states. */
static void setup64(Call64 *c) {
    static Call f;
    static Tiled t;
    DpmParamsF64 p0 = {0.1, 0.9, DPM_OFFSET_XI, 0.25, 0, 0.9, 0.01, DPM_FIRST_VISIT_BATCH};
    DpmParamsF64 p1 = {0.2, 0.8, DPM_OFFSET_VANILLA, 0.0, 0, 0.5, 0.02, DPM_FIRST_VISIT_BATCH};
    DpmSogClrParamsF64 q0 = {0.1, 0.9, DPM_FIRST_VISIT_BATCH}, q1 = {0.2, 0.8, DPM_FIRST_VISIT_BATCH};
    DpmStateF64 si, st;
    int i, j, k;
    tiled_setup(&f, &t);
    memset(c, 0, sizeof *c);
    for (k = 0; k < B * D; k++) c->x[k] = t.x[k], c->y[k] = t.y[k];
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++)
            for (k = 0; k < D; k++) c->s[i * B + j] += c->x[i * D + k] * c->y[j * D + k];
    for (k = 0; k < B; k++) c->ids[k] = f.ids[k];
    c->p[0] = p0, c->p[1] = p1, c->q[0] = q0, c->q[1] = q1;
    si = view64(&c->image), st = view64(&c->text);
    CHECK(dpm_state_init_f64(&si, -0.05) == DPM_OK && dpm_state_init_f64(&st, -0.05) == DPM_OK, "f64 state init");
    CHECK(c->image.zeta[N - 1] == -0.05 && c->image.s_flags[0] == 0, "f64 state init values");
    for (k = 0; k < B * B; k++) c->ds[k] = 5.0, c->w[k] = 6.0;
    c->losses.total = c->losses.image_to_text = c->losses.text_to_image = 8.0;
}

static int32_t run64(Call64 *c, int family) {
    DpmStateF64 si = view64(&c->image), st = view64(&c->text);
    if (family == 0)
        return dpm_bimodal_f64(c->s, B * B, c->ids, B, c->ids, B, &si, &st, &c->p[0], &c->p[1], c->ds, B * B,
                               c->w, B * B, NULL, 0, c->scratch, SCRATCH, &c->losses);
    if (family == 1)
        return dpm_sogclr_bimodal_f64(c->s, B * B, c->ids, B, c->ids, B, &si, &st, &c->q[0], &c->q[1], c->ds,
                                      B * B, NULL, 0, NULL, 0, c->scratch, SCRATCH, &c->losses);
    return dpm_infonce_bimodal_f64(c->s, B * B, B, c->p[0].tau, c->ds, B * B, NULL, 0, NULL, 0, c->scratch,
                                   SCRATCH, &c->losses);
}

/* Family 3: the stored DPM step from features (S, dS, the image weights
   written too). */
static int32_t run_tiled64(Call64 *c, int family, uint32_t features) {
    DpmStateF64 si = view64(&c->image), st = view64(&c->text);
    if (family == 3)
        return dpm_bimodal_from_features_f64(c->x, B * D, c->y, B * D, B, D, features, c->ids, B, c->ids, B, &si,
                                             &st, &c->p[0], &c->p[1], c->s, B * B, c->ds, B * B, c->w, B * B, NULL,
                                             0, c->dx, B * D, c->dy, B * D, c->tscratch, TSCRATCH, &c->losses);
    if (family == 0)
        return dpm_bimodal_tiled_f64(c->x, B * D, c->y, B * D, B, D, features, c->ids, B, c->ids, B, &si, &st,
                                     &c->p[0], &c->p[1], c->dx, B * D, c->dy, B * D, c->tscratch, TSCRATCH,
                                     &c->losses);
    if (family == 1)
        return dpm_sogclr_bimodal_tiled_f64(c->x, B * D, c->y, B * D, B, D, features, c->ids, B, c->ids, B, &si,
                                            &st, &c->q[0], &c->q[1], c->dx, B * D, c->dy, B * D, c->tscratch,
                                            TSCRATCH, &c->losses);
    return dpm_infonce_bimodal_tiled_f64(c->x, B * D, c->y, B * D, B, D, features, c->p[0].tau, c->dx, B * D,
                                         c->dy, B * D, c->tscratch, TSCRATCH, &c->losses);
}

/* The stored steps against the double references; then each tiled step
   against its stored step on the same S = X Y^T and states. */
static void test_f64_steps(void) {
    static Call64 c, t;
    double s[B][B], sT[B][B], ds[B][B] = {{0}}, di[B][B] = {{0}}, w[B][B], u_img[B], u_txt[B];
    double zeta[B], zero[B] = {0}, l0, l1;
    int i, j, k, family;
    for (i = 0; i < B; i++) zeta[i] = -0.05;
    setup64(&c);
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++) s[i][j] = c.s[i * B + j], sT[j][i] = c.s[i * B + j];
    CHECK(run64(&c, 0) == DPM_OK, "f64 DPM step");
    l0 = direction(s, zeta, 0.1, 0.25 / 0.1, 0, ds, 0, w, u_img);
    l1 = direction(sT, zeta, 0.2, 0.0, 1, ds, 1, NULL, u_txt);
    CHECK(close64(c.losses.total, l0 + l1) && close64(c.losses.image_to_text, l0), "f64 loss %.17g vs %.17g",
          c.losses.total, l0 + l1);
    for (i = 0; i < B; i++) {
        CHECK(c.image.s_flags[c.ids[i]] == 1 && close64(c.image.log_s[c.ids[i]], u_img[i]), "f64 u image %d", i);
        CHECK(c.text.s_flags[c.ids[i]] == 1 && close64(c.text.log_s[c.ids[i]], u_txt[i]), "f64 u text %d", i);
        for (j = 0; j < B; j++) {
            CHECK(close64(c.ds[i * B + j], ds[i][j]), "f64 dS[%d][%d] %.17g vs %.17g", i, j, c.ds[i * B + j], ds[i][j]);
            CHECK(close64(c.w[i * B + j], w[i][j]), "f64 w[%d][%d]", i, j);
        }
    }
    setup64(&c);
    memset(ds, 0, sizeof ds);
    CHECK(run64(&c, 1) == DPM_OK, "f64 SogCLR step");
    l0 = direction(s, zero, 0.1, INFINITY, 0, ds, 0, NULL, u_img);
    l1 = direction(sT, zero, 0.2, INFINITY, 0, ds, 1, NULL, u_txt);
    CHECK(close64(c.losses.total, l0 + l1), "f64 sogclr loss %.17g vs %.17g", c.losses.total, l0 + l1);
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++) CHECK(close64(c.ds[i * B + j], ds[i][j]), "f64 sogclr dS[%d][%d]", i, j);
    CHECK(run64(&c, 2) == DPM_OK, "f64 InfoNCE step");
    l0 = infonce_direction(s, 0.1, di, 0) + infonce_direction(sT, 0.1, di, 1);
    CHECK(close64(c.losses.total, l0), "f64 infonce loss %.17g vs %.17g", c.losses.total, l0);
    for (i = 0; i < B; i++)
        for (j = 0; j < B; j++) CHECK(close64(c.ds[i * B + j], di[i][j]), "f64 infonce dS[%d][%d]", i, j);
    /* Tiled (and, family 3, the DPM step from features): dX = dS Y,
       dY = dS^T X from the stored step's dS. */
    for (family = 0; family < 4; family++) {
        double dx[B][D] = {{0}}, dy[B][D] = {{0}};
        setup64(&c);
        memcpy(&t, &c, sizeof t);
        for (k = 0; k < B * B; k++) t.s[k] = 9.0;
        CHECK(run64(&c, family % 3) == DPM_OK && run_tiled64(&t, family, DPM_FEATURES_NORMALIZED) == DPM_OK,
              "f64 tiled family %d", family);
        for (k = 0; family == 3 && k < B * B; k++)
            CHECK(close64(t.s[k], c.s[k]) && close64(t.ds[k], c.ds[k]) && close64(t.w[k], c.w[k]),
                  "f64 from features: S, dS, w [%d]", k);
        for (i = 0; i < B; i++)
            for (j = 0; j < B; j++)
                for (k = 0; k < D; k++) {
                    dx[i][k] += c.ds[i * B + j] * c.y[j * D + k];
                    dy[j][k] += c.ds[i * B + j] * c.x[i * D + k];
                }
        CHECK(close64(t.losses.total, c.losses.total), "f64 tiled family %d: loss %.17g vs %.17g", family,
              t.losses.total, c.losses.total);
        for (i = 0; i < B; i++)
            for (k = 0; k < D; k++)
                CHECK(close64(t.dx[i * D + k], dx[i][k]) && close64(t.dy[i * D + k], dy[i][k]),
                      "f64 tiled family %d: dx, dy [%d][%d]", family, i, k);
        for (k = 0; k < N; k++)
            CHECK(t.image.s_flags[k] == c.image.s_flags[k] && close64(t.image.log_s[k], c.image.log_s[k]) &&
                      t.text.s_flags[k] == c.text.s_flags[k] && close64(t.text.log_s[k], c.text.log_s[k]),
                  "f64 tiled family %d: u %d", family, k);
    }
}

#define CK64_LEN (28 + 25 * N)

/* Checkpoints in double through the A/B slots, and one bad input for
   every _f64 function, each writing nothing. */
static void test_f64_checkpoints_and_refusals(void) {
    static Call64 c, before;
    static Pop64 saved;
    static uint8_t a[CK64_LEN], b[CK64_LEN], f32ck[CK_LEN];
    double x[2] = {1.0, NAN}, out = 9.0;
    DpmStateF64 si, st;
    DpmStateF32 s32;
    Pop p32;
    uint32_t slot = 9;
    uint64_t seq = 0;
    int family;
    CHECK(dpm_checkpoint_len_f64(N) == CK64_LEN, "f64 checkpoint length %u", (unsigned)dpm_checkpoint_len_f64(N));
    CHECK(dpm_checkpoint_len_f64((size_t)-1) == (size_t)-1, "f64 checkpoint length saturates");
    setup64(&c);
    CHECK(run64(&c, 0) == DPM_OK, "f64 step before the checkpoint");
    si = view64(&c.image), st = view64(&c.text);
    memset(a, 0xff, sizeof a), memset(b, 0xff, sizeof b);
    CHECK(dpm_state_next_slot_f64(&si, a, CK64_LEN, b, CK64_LEN, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "f64 first slot %u seq %u", (unsigned)slot, (unsigned)seq);
    CHECK(dpm_state_save_f64(&si, seq, a, CK64_LEN) == DPM_OK, "f64 save to A");
    memcpy(&saved, &c.image, sizeof saved);
    CHECK(dpm_state_init_f64(&si, 3.0) == DPM_OK, "f64 reset");
    CHECK(dpm_state_load_newest_f64(&si, a, CK64_LEN, b, CK64_LEN, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "f64 load newest: slot %u seq %u", (unsigned)slot, (unsigned)seq);
    CHECK(memcmp(&c.image, &saved, sizeof saved) == 0, "f64: the state after loading is not the saved one");
    CHECK(dpm_state_load_f64(&st, a, CK64_LEN, &seq) == DPM_OK && memcmp(&c.text, &saved, sizeof saved) == 0,
          "f64 load into the other population");

    /* One bad input each: status code, nothing written. */
    memcpy(&before, &c, sizeof c);
    CHECK(dpm_state_init_f64(&si, NAN) == DPM_ERR_INVALID_PARAMETER, "f64 init NaN");
    CHECK(dpm_log_sum_exp_f64(x, 2, &out) == DPM_ERR_NON_FINITE && out == 9.0, "f64 lse NaN");
    CHECK(dpm_log_sum_exp_f64(x, 1, &out) == DPM_OK && out == 1.0, "f64 lse of one");
    c.ids[2] = c.ids[0];
    CHECK(run64(&c, 0) == DPM_ERR_DUPLICATE_ID, "f64 DPM duplicate id");
    CHECK(run_tiled64(&c, 0, 7) == DPM_ERR_INVALID_PARAMETER, "f64 tiled features 7");
    CHECK(run_tiled64(&c, 3, DPM_FEATURES_NORMALIZED) == DPM_ERR_DUPLICATE_ID, "f64 from features duplicate id");
    c.ids[2] = before.ids[2];
    c.q[1].first_visit = 7;
    CHECK(run64(&c, 1) == DPM_ERR_INVALID_PARAMETER, "f64 SogCLR first_visit 7");
    CHECK(run_tiled64(&c, 1, DPM_FEATURES_NORMALIZED) == DPM_ERR_INVALID_PARAMETER, "f64 tiled SogCLR first_visit 7");
    c.q[1].first_visit = before.q[1].first_visit;
    c.p[0].tau = -1.0;
    CHECK(run64(&c, 2) == DPM_ERR_INVALID_PARAMETER, "f64 InfoNCE tau < 0");
    CHECK(run_tiled64(&c, 2, DPM_FEATURES_NORMALIZED) == DPM_ERR_INVALID_PARAMETER, "f64 tiled InfoNCE tau < 0");
    c.p[0].tau = before.p[0].tau;
    CHECK(!WRITTEN64(&c, &before), "a refused f64 step wrote");
    for (family = 0; family < 3; family++) CHECK(run64(&c, family) == DPM_OK, "f64 step %d after the refusals", family);

    /* Checkpoint refusals: a short buffer, an f32 checkpoint, two bad
       slots, a NULL output. */
    memcpy(&before, &c, sizeof c);
    memset(b, 0x5a, sizeof b);
    CHECK(dpm_state_save_f64(&si, 5, b, CK64_LEN - 1) == DPM_ERR_LENGTH_MISMATCH && b[0] == 0x5a &&
              b[CK64_LEN - 2] == 0x5a,
          "f64 save short buffer");
    memset(&p32, 0, sizeof p32);
    s32 = view(&p32, N);
    CHECK(dpm_state_init_f32(&s32, -0.05f) == DPM_OK && dpm_state_save_f32(&s32, 9, f32ck, CK_LEN) == DPM_OK,
          "f32 checkpoint");
    seq = 77, slot = 77;
    CHECK(dpm_state_load_f64(&si, f32ck, CK_LEN, &seq) == DPM_ERR_BAD_CHECKPOINT, "f64 load of an f32 checkpoint");
    a[40] ^= 4;
    CHECK(dpm_state_load_newest_f64(&si, a, CK64_LEN, f32ck, CK_LEN, &slot, &seq) == DPM_ERR_BAD_CHECKPOINT,
          "f64 load newest: corrupted A, f32 B");
    CHECK(dpm_state_next_slot_f64(&si, a, CK64_LEN, b, CK64_LEN, NULL, &seq) == DPM_ERR_BAD_POINTER,
          "f64 next slot NULL slot");
    CHECK(seq == 77 && slot == 77, "a refused f64 checkpoint call wrote its outputs");
    CHECK(!WRITTEN64(&c, &before), "a refused f64 checkpoint call wrote the state");
}

/* 10. The sparse state: arbitrary uint64_t ids on DPM_SPARSE_CAPACITY
   slots, whatever capacity the library and this file were built with
   (256 by default on the host, 16 under QEMU in CI). */
#define CAP ((size_t)DPM_SPARSE_CAPACITY)
/* The stream's batch: half the slots, at most 8, at least 2. */
#define SB (DPM_SPARSE_CAPACITY >= 16 ? 8 : DPM_SPARSE_CAPACITY >= 4 ? DPM_SPARSE_CAPACITY / 2 : 2)
/* Distinct ids in the stream: twice the slots and more, so ids are
   evicted and come back; enough steps to go round the pool three times. */
#define POOL (2 * DPM_SPARSE_CAPACITY + 3)
#define STEPS (3 * POOL / SB + 8)
#define ZETA0 (-0.05)
/* The checkpoint of a sparse state: header, slots, id map (the doc of
   dpm_sparse_checkpoint_len_f32: 44 + p + N (3 p + 17)). */
#define CKS32 (44 + 4 + CAP * (3 * 4 + 17))
#define CKS64 (44 + 8 + CAP * (3 * 8 + 17))

/* An independent model of the id map, with linear scans: slots handed
   out in order (0, 1, ...), each with the clock of the last call that
   saw its id; the call's mapped ids are seen first, then each id in
   order, a new one taking a free slot or, on a full map, the slot seen
   least recently (never one of the call's ids: they were just seen). */
typedef struct {
    uint64_t id[DPM_SPARSE_CAPACITY];
    uint64_t seen[DPM_SPARSE_CAPACITY];
    size_t used;
    uint64_t clock;
} Lru;

static size_t lru_find(const Lru *m, uint64_t id) {
    size_t s;
    for (s = 0; s < m->used; s++)
        if (m->id[s] == id) return s;
    return SIZE_MAX;
}

/* The slots of ids[0..len) into out, the ids evicted into gone. */
static size_t lru_slots(Lru *m, const uint64_t *ids, size_t len, size_t *out, uint64_t *gone) {
    size_t k, s, t, n_gone = 0;
    for (k = 0; k < len; k++)
        if ((s = lru_find(m, ids[k])) != SIZE_MAX) m->seen[s] = ++m->clock;
    for (k = 0; k < len; k++) {
        s = lru_find(m, ids[k]);
        if (s == SIZE_MAX && m->used < CAP) {
            s = m->used++;
        } else if (s == SIZE_MAX) {
            for (s = 0, t = 1; t < CAP; t++)
                if (m->seen[t] < m->seen[s]) s = t;
            gone[n_gone++] = m->id[s];
        }
        m->id[s] = ids[k], m->seen[s] = ++m->clock, out[k] = s;
    }
    return n_gone;
}

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Dense states of CAP ids, the shadows of the sparse ones: driven by the
   model's slots, reset by hand when the model hands a slot out. */
typedef struct {
    float log_s[DPM_SPARSE_CAPACITY];
    uint8_t s_flags[DPM_SPARSE_CAPACITY];
    float zeta[DPM_SPARSE_CAPACITY];
    float z[DPM_SPARSE_CAPACITY];
    uint8_t z_flags[DPM_SPARSE_CAPACITY];
} Dense32;

typedef struct {
    double log_s[DPM_SPARSE_CAPACITY];
    uint8_t s_flags[DPM_SPARSE_CAPACITY];
    double zeta[DPM_SPARSE_CAPACITY];
    double z[DPM_SPARSE_CAPACITY];
    uint8_t z_flags[DPM_SPARSE_CAPACITY];
} Dense64;

/* Images [0] and texts [1]: the sparse states in both precisions, their
   model and dense shadows, the pool of ids and which of them were ever
   mapped; counters of what the stream exercised. */
static DpmSparseF32 sp32[2];
static DpmSparseF64 sp64[2];
static Lru lru[2];
static Dense32 sh32[2];
static Dense64 sh64[2];
static uint64_t pool[POOL];
static uint8_t ever[2][POOL];
static size_t n_evicted, n_returned, n_kept;

static DpmStateF32 dense32(Dense32 *d) {
    DpmStateF32 s = {d->log_s, d->s_flags, d->zeta, d->z, d->z_flags, CAP};
    return s;
}

static DpmStateF64 dense64(Dense64 *d) {
    DpmStateF64 s = {d->log_s, d->s_flags, d->zeta, d->z, d->z_flags, CAP};
    return s;
}

/* The arrays of a view lie inside the storage `st` of `bytes` bytes. */
static int inside(const void *p, size_t len, const void *st, size_t bytes) {
    uintptr_t a = (uintptr_t)p, s = (uintptr_t)st;
    return p != NULL && a >= s && a + len <= s + bytes;
}

static int view_ok32(const DpmStateF32 *v, const DpmSparseF32 *st) {
    size_t f = CAP * sizeof(float), b = sizeof *st;
    return v->n == CAP && inside(v->log_s, f, st, b) && inside(v->s_flags, CAP, st, b) && inside(v->zeta, f, st, b) &&
           inside(v->z, f, st, b) && inside(v->z_flags, CAP, st, b);
}

static int view_ok64(const DpmStateF64 *v, const DpmSparseF64 *st) {
    size_t f = CAP * sizeof(double), b = sizeof *st;
    return v->n == CAP && inside(v->log_s, f, st, b) && inside(v->s_flags, CAP, st, b) && inside(v->zeta, f, st, b) &&
           inside(v->z, f, st, b) && inside(v->z_flags, CAP, st, b);
}

/* Two states of CAP ids are equal: both flag arrays and zeta bit for bit
   (memcmp), and log_s and z bit for bit where their flag is set, or
   everywhere unless `masked` (a slot an id takes keeps its old log_s and
   z under a cleared flag, which no one reads). */
static int same32(const DpmStateF32 *a, const DpmStateF32 *b, int masked) {
    size_t k, f = sizeof(float);
    if (memcmp(a->s_flags, b->s_flags, CAP) || memcmp(a->z_flags, b->z_flags, CAP) || memcmp(a->zeta, b->zeta, CAP * f))
        return 0;
    if (!masked) return !memcmp(a->log_s, b->log_s, CAP * f) && !memcmp(a->z, b->z, CAP * f);
    for (k = 0; k < CAP; k++)
        if ((a->s_flags[k] && memcmp(&a->log_s[k], &b->log_s[k], f)) || (a->z_flags[k] && memcmp(&a->z[k], &b->z[k], f)))
            return 0;
    return 1;
}

static int same64(const DpmStateF64 *a, const DpmStateF64 *b, int masked) {
    size_t k, f = sizeof(double);
    if (memcmp(a->s_flags, b->s_flags, CAP) || memcmp(a->z_flags, b->z_flags, CAP) || memcmp(a->zeta, b->zeta, CAP * f))
        return 0;
    if (!masked) return !memcmp(a->log_s, b->log_s, CAP * f) && !memcmp(a->z, b->z, CAP * f);
    for (k = 0; k < CAP; k++)
        if ((a->s_flags[k] && memcmp(&a->log_s[k], &b->log_s[k], f)) || (a->z_flags[k] && memcmp(&a->z[k], &b->z[k], f)))
            return 0;
    return 1;
}

/* Every id of the pool has the model's slot (SIZE_MAX if not mapped) in
   both precisions. */
static void check_map(int pop, const char *when) {
    size_t k, want, got32, got64;
    for (k = 0; k < POOL; k++) {
        want = lru_find(&lru[pop], pool[k]);
        got32 = got64 = 12345;
        CHECK(dpm_sparse_slot_f32(&sp32[pop], pool[k], &got32) == DPM_OK &&
                  dpm_sparse_slot_f64(&sp64[pop], pool[k], &got64) == DPM_OK && got32 == want && got64 == want,
              "sparse %s: population %d, id %lu: slot %ld / %ld, model %ld", when, pop, (unsigned long)k, (long)got32,
              (long)got64, (long)want);
    }
}

/* The sizes and the capacity (0 if they are not this file's: the rest
   of section 10 is skipped); fresh states for the stream, their shadows
   and the pool (0 and UINT64_MAX among the ids). */
static int sparse_setup(void) {
    uint64_t x = 2026;
    size_t k;
    int pop, failed = failures;
    DpmStateF32 d32;
    DpmStateF64 d64;
    CHECK(dpm_sparse_capacity() == CAP, "library capacity %lu, header %lu: build both with the same DPM_SPARSE_CAPACITY",
          (unsigned long)dpm_sparse_capacity(), (unsigned long)CAP);
    CHECK(sizeof(DpmSparseF32) == dpm_sparse_bytes_f32(), "sizeof(DpmSparseF32) %lu, library %lu",
          (unsigned long)sizeof(DpmSparseF32), (unsigned long)dpm_sparse_bytes_f32());
    CHECK(sizeof(DpmSparseF64) == dpm_sparse_bytes_f64(), "sizeof(DpmSparseF64) %lu, library %lu",
          (unsigned long)sizeof(DpmSparseF64), (unsigned long)dpm_sparse_bytes_f64());
    CHECK(dpm_sparse_checkpoint_len_f32() == CKS32 && dpm_sparse_checkpoint_len_f64() == CKS64,
          "sparse checkpoint lengths %lu, %lu", (unsigned long)dpm_sparse_checkpoint_len_f32(),
          (unsigned long)dpm_sparse_checkpoint_len_f64());
    if (failures != failed) return 0;
    for (k = 0; k < POOL; k++) pool[k] = splitmix(&x);
    pool[0] = 0, pool[1] = UINT64_MAX, pool[2] = 1;
    for (pop = 0; pop < 2; pop++) {
        CHECK(dpm_sparse_init_f32(&sp32[pop], sizeof sp32[pop], (float)ZETA0) == DPM_OK, "sparse init f32");
        CHECK(dpm_sparse_init_f64(&sp64[pop], sizeof sp64[pop], ZETA0) == DPM_OK, "sparse init f64");
        d32 = dense32(&sh32[pop]), d64 = dense64(&sh64[pop]);
        CHECK(dpm_state_init_f32(&d32, (float)ZETA0) == DPM_OK && dpm_state_init_f64(&d64, ZETA0) == DPM_OK,
              "shadow init");
        memset(&lru[pop], 0, sizeof lru[pop]);
        check_map(pop, "after init");
    }
    return 1;
}

/* One population's batch: SB distinct ids of the pool; their slots from
   both precisions against the model's, an id mapped before the call in
   the slot it had, the ids the model evicted no longer mapped; every
   slot an id takes reset in the shadows. */
static void sparse_batch(int pop, uint64_t *seed, uint64_t *ids, size_t *slots) {
    size_t k, j, at[SB], before[SB], got32[SB], got64[SB], n_gone;
    uint64_t gone[SB];
    for (k = 0; k < SB; k++) {
        do {
            at[k] = (size_t)(splitmix(seed) % POOL);
            for (j = 0; j < k && at[j] != at[k]; j++) continue;
        } while (j < k);
        ids[k] = pool[at[k]];
        before[k] = lru_find(&lru[pop], ids[k]);
        got32[k] = got64[k] = 12345;
    }
    n_gone = lru_slots(&lru[pop], ids, SB, slots, gone);
    CHECK(dpm_sparse_slots_f32(&sp32[pop], ids, SB, got32) == DPM_OK, "sparse slots f32");
    CHECK(dpm_sparse_slots_f64(&sp64[pop], ids, SB, got64) == DPM_OK, "sparse slots f64");
    for (k = 0; k < SB; k++) {
        CHECK(got32[k] == slots[k] && got64[k] == slots[k], "sparse slots: id %lu in slot %ld / %ld, model %ld",
              (unsigned long)at[k], (long)got32[k], (long)got64[k], (long)slots[k]);
        CHECK(before[k] == SIZE_MAX || got32[k] == before[k], "sparse slots: a mapped id moved");
        if (before[k] == SIZE_MAX) {
            size_t s = slots[k];
            sh32[pop].s_flags[s] = sh32[pop].z_flags[s] = 0, sh32[pop].zeta[s] = (float)ZETA0;
            sh64[pop].s_flags[s] = sh64[pop].z_flags[s] = 0, sh64[pop].zeta[s] = ZETA0;
            n_returned += ever[pop][at[k]];
        } else {
            n_kept++;
        }
        ever[pop][at[k]] = 1;
    }
    for (k = 0; k < n_gone; k++) {
        CHECK(dpm_sparse_slot_f32(&sp32[pop], gone[k], &got32[0]) == DPM_OK && got32[0] == SIZE_MAX &&
                  dpm_sparse_slot_f64(&sp64[pop], gone[k], &got64[0]) == DPM_OK && got64[0] == SIZE_MAX,
              "sparse: an evicted id is still mapped");
    }
    n_evicted += n_gone;
}

/* A DPM step with the zeta update on views of both populations. */
static int32_t sparse_step32(DpmStateF32 *img, DpmStateF32 *txt, size_t slots[2][SB], const float *s,
                             float *ds, DpmLossesF32 *losses) {
    static float scratch[32 * SB];
    DpmParamsF32 p0 = {0.1f, 0.9f, DPM_OFFSET_XI, 0.25f, 1, 0.9f, 0.01f, DPM_FIRST_VISIT_BATCH};
    DpmParamsF32 p1 = {0.2f, 0.8f, DPM_OFFSET_VANILLA, 0.0f, 1, 0.5f, 0.02f, DPM_FIRST_VISIT_BATCH};
    return dpm_bimodal_f32(s, SB * SB, slots[0], SB, slots[1], SB, img, txt, &p0, &p1, ds, SB * SB, NULL, 0, NULL, 0,
                           scratch, 32 * SB, losses);
}

static int32_t sparse_step64(DpmStateF64 *img, DpmStateF64 *txt, size_t slots[2][SB], const double *s,
                             double *ds, DpmLossesF64 *losses) {
    static double scratch[32 * SB];
    DpmParamsF64 p0 = {0.1, 0.9, DPM_OFFSET_XI, 0.25, 1, 0.9, 0.01, DPM_FIRST_VISIT_BATCH};
    DpmParamsF64 p1 = {0.2, 0.8, DPM_OFFSET_VANILLA, 0.0, 1, 0.5, 0.02, DPM_FIRST_VISIT_BATCH};
    return dpm_bimodal_f64(s, SB * SB, slots[0], SB, slots[1], SB, img, txt, &p0, &p1, ds, SB * SB, NULL, 0, NULL, 0,
                           scratch, 32 * SB, losses);
}

/* One step of the stream: both batches' slots (sparse_batch), views
   inside the storage; each slot just taken never visited with zeta =
   ZETA0 and every other slot unchanged (against the shadows); then the
   step on the views and on the shadows: dS, the losses and all five
   arrays of both populations bit for bit, in both precisions. */
static void sparse_step(uint64_t *seed) {
    static float s32[SB * SB], ds32[SB * SB], keep32[SB * SB];
    static double s64[SB * SB], ds64[SB * SB], keep64[SB * SB];
    uint64_t ids[2][SB];
    size_t slots[2][SB], k;
    DpmStateF32 v32[2], d32[2];
    DpmStateF64 v64[2], d64[2];
    DpmLossesF32 l32, m32;
    DpmLossesF64 l64, m64;
    int pop;
    for (k = 0; k < SB * SB; k++) /* scores in [-1, 1) */
        s32[k] = (float)((double)(splitmix(seed) >> 11) / 4503599627370496.0 - 1.0), s64[k] = s32[k];
    for (pop = 0; pop < 2; pop++) sparse_batch(pop, seed, ids[pop], slots[pop]);
    for (pop = 0; pop < 2; pop++) {
        CHECK(dpm_sparse_view_f32(&sp32[pop], &v32[pop]) == DPM_OK && view_ok32(&v32[pop], &sp32[pop]), "sparse view f32");
        CHECK(dpm_sparse_view_f64(&sp64[pop], &v64[pop]) == DPM_OK && view_ok64(&v64[pop], &sp64[pop]), "sparse view f64");
        d32[pop] = dense32(&sh32[pop]), d64[pop] = dense64(&sh64[pop]);
        CHECK(same32(&v32[pop], &d32[pop], 1) && same64(&v64[pop], &d64[pop], 1),
              "sparse: after the slots of population %d, the state is not its shadow's", pop);
    }
    CHECK(sparse_step32(&v32[0], &v32[1], slots, s32, ds32, &l32) == DPM_OK, "sparse step f32");
    memcpy(keep32, ds32, sizeof ds32);
    CHECK(sparse_step32(&d32[0], &d32[1], slots, s32, ds32, &m32) == DPM_OK, "shadow step f32");
    CHECK(memcmp(keep32, ds32, sizeof ds32) == 0 && memcmp(&l32, &m32, sizeof l32) == 0, "sparse f32: dS or losses");
    CHECK(sparse_step64(&v64[0], &v64[1], slots, s64, ds64, &l64) == DPM_OK, "sparse step f64");
    memcpy(keep64, ds64, sizeof ds64);
    CHECK(sparse_step64(&d64[0], &d64[1], slots, s64, ds64, &m64) == DPM_OK, "shadow step f64");
    CHECK(memcmp(keep64, ds64, sizeof ds64) == 0 && memcmp(&l64, &m64, sizeof l64) == 0, "sparse f64: dS or losses");
    for (pop = 0; pop < 2; pop++) {
        CHECK(same32(&v32[pop], &d32[pop], 0) && same64(&v64[pop], &d64[pop], 0),
              "sparse: after the step, population %d is not its shadow", pop);
        CHECK(v32[pop].s_flags[slots[pop][0]] == 1 && v64[pop].z_flags[slots[pop][SB - 1]] == 1, "sparse: step flags");
    }
}

/* The stream: STEPS steps; every id of the pool has the model's slot
   after each; ids were evicted, evicted ids came back and mapped ids
   kept their slots. Then one call with a new id and the least recently
   seen one (the new one first), and the new one again if the capacity
   allows three ids: the new id evicts the next oldest, not the id in
   the call, and its repeat gets its slot. Returns 0 if section 10 is
   skipped (sparse_setup). */
static int test_sparse_stream(void) {
    uint64_t seed = 16, ids[3], gone[3];
    size_t k, want[3], got32[3], got64[3], oldest, n = CAP >= 3 ? 3 : 2;
    if (!sparse_setup()) return 0;
    for (k = 0; k < STEPS; k++) {
        sparse_step(&seed);
        check_map(0, "stream"), check_map(1, "stream");
    }
    CHECK(n_evicted > CAP && n_returned > 0 && n_kept > 0, "sparse stream: %lu evicted, %lu came back, %lu kept",
          (unsigned long)n_evicted, (unsigned long)n_returned, (unsigned long)n_kept);
    for (oldest = 0, k = 1; k < CAP; k++)
        if (lru[1].seen[k] < lru[1].seen[oldest]) oldest = k;
    ids[0] = UINT64_C(0xfeedfacecafebeef), ids[1] = lru[1].id[oldest], ids[2] = ids[0];
    CHECK(lru_slots(&lru[1], ids, n, want, gone) == 1 && want[1] == oldest && (n < 3 || want[2] == want[0]), "model");
    CHECK(dpm_sparse_slots_f32(&sp32[1], ids, n, got32) == DPM_OK &&
              dpm_sparse_slots_f64(&sp64[1], ids, n, got64) == DPM_OK,
          "sparse slots: the oldest id in the call");
    for (k = 0; k < n; k++)
        CHECK(got32[k] == want[k] && got64[k] == want[k],
              "sparse slots: the oldest id in the call, [%lu]: %ld / %ld, model %ld", (unsigned long)k,
              (long)got32[k], (long)got64[k], (long)want[k]);
    check_map(1, "the oldest id in the call");
    printf("sparse state: capacity %lu, %lu steps of batch %d, %lu ids evicted, %lu came back\n", (unsigned long)CAP,
           (unsigned long)STEPS, (int)SB, (unsigned long)n_evicted, (unsigned long)n_returned);
    return 1;
}

/* Checkpoints of the images' sparse state (after the stream's last step,
   so every mapped slot has been visited since an id took it): A/B slots,
   the newer write corrupted, the state reset and the newest complete
   one loaded back: every id in its slot, the five arrays bit for bit
   (memcmp against a bytewise copy kept at the save), the same bytes
   saved again, the same id evicted next, with the saved zeta_init. A
   plain load into the texts' state likewise. */
static void test_sparse_checkpoints32(void) {
    static uint8_t a[CKS32], b[CKS32], again[CKS32];
    static DpmSparseF32 kept;
    static Lru model;
    uint64_t fresh[2] = {UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210)}, gone[2], seq = 0;
    size_t k, one, got[2], got2[2], want[2];
    uint32_t slot = 9;
    DpmStateF32 v, vk;
    memset(a, 0xff, sizeof a), memset(b, 0xff, sizeof b); /* erased flash */
    CHECK(dpm_sparse_next_slot_f32(&sp32[0], a, CKS32, b, CKS32, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "sparse f32 first slot %u seq %lu", (unsigned)slot, (unsigned long)seq);
    CHECK(dpm_sparse_save_f32(&sp32[0], seq, a, CKS32) == DPM_OK, "sparse f32 save to A");
    memcpy(&kept, &sp32[0], sizeof kept), memcpy(&model, &lru[0], sizeof model);
    /* Two new ids (two evictions, two slots reset), saved into B, which
       is then corrupted: the write did not complete. */
    CHECK(dpm_sparse_slots_f32(&sp32[0], fresh, 2, got) == DPM_OK, "sparse f32 slots before B");
    CHECK(dpm_sparse_next_slot_f32(&sp32[0], a, CKS32, b, CKS32, &slot, &seq) == DPM_OK && slot == 1 && seq == 2,
          "sparse f32 second slot %u seq %lu", (unsigned)slot, (unsigned long)seq);
    CHECK(dpm_sparse_save_f32(&sp32[0], seq, b, CKS32) == DPM_OK, "sparse f32 save to B");
    b[CKS32 / 2] ^= 0x10;
    CHECK(dpm_sparse_next_slot_f32(&sp32[0], a, CKS32, b, CKS32, &slot, &seq) == DPM_OK && slot == 1 && seq == 2,
          "sparse f32 next slot with B corrupted: %u seq %lu", (unsigned)slot, (unsigned long)seq);
    /* Reset: nothing mapped; then the newest complete checkpoint. */
    CHECK(dpm_sparse_init_f32(&sp32[0], sizeof sp32[0], 3.0f) == DPM_OK, "sparse f32 reset");
    for (k = 0; k < POOL; k++)
        CHECK(dpm_sparse_slot_f32(&sp32[0], pool[k], &got[0]) == DPM_OK && got[0] == SIZE_MAX,
              "sparse f32 reset: id %lu mapped", (unsigned long)k);
    slot = 9, seq = 0;
    CHECK(dpm_sparse_load_newest_f32(&sp32[0], a, CKS32, b, CKS32, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "sparse f32 load newest: slot %u seq %lu", (unsigned)slot, (unsigned long)seq);
    for (k = 0; k < POOL; k++)
        CHECK(dpm_sparse_slot_f32(&sp32[0], pool[k], &got[0]) == DPM_OK && got[0] == lru_find(&model, pool[k]),
              "sparse f32 loaded: id %lu in slot %ld, saved in %ld", (unsigned long)k, (long)got[0],
              (long)lru_find(&model, pool[k]));
    CHECK(dpm_sparse_view_f32(&sp32[0], &v) == DPM_OK && dpm_sparse_view_f32(&kept, &vk) == DPM_OK && same32(&v, &vk, 0),
          "sparse f32 loaded: the arrays are not the saved ones");
    CHECK(dpm_sparse_save_f32(&sp32[0], 1, again, CKS32) == DPM_OK && memcmp(again, a, CKS32) == 0,
          "sparse f32 loaded: saved again, other bytes");
    /* The plain load, into the texts' state, seq optional. */
    seq = 0;
    CHECK(dpm_sparse_load_f32(&sp32[1], a, CKS32, &seq) == DPM_OK && seq == 1 &&
              dpm_sparse_load_f32(&sp32[1], a, CKS32, NULL) == DPM_OK,
          "sparse f32 load");
    for (k = 0; k < POOL; k++)
        CHECK(dpm_sparse_slot_f32(&sp32[1], pool[k], &got[0]) == DPM_OK && got[0] == lru_find(&model, pool[k]),
              "sparse f32 load into the texts: id %lu", (unsigned long)k);
    /* The next evictions: the same ids, evicted in the same order, in
       the loaded state, in the copy and in the model; the slots they take
       reset with the saved zeta_init, not 3. */
    CHECK(lru_slots(&model, fresh, 2, want, gone) == 2, "model: two evictions");
    CHECK(dpm_sparse_slots_f32(&sp32[0], fresh, 2, got) == DPM_OK && dpm_sparse_slots_f32(&kept, fresh, 2, got2) == DPM_OK,
          "sparse f32 slots after the load");
    CHECK(dpm_sparse_view_f32(&sp32[0], &v) == DPM_OK, "sparse f32 view after the load");
    for (k = 0; k < 2; k++) {
        CHECK(got[k] == want[k] && got2[k] == want[k], "sparse f32 loaded: new id %lu in slot %ld / %ld, model %ld",
              (unsigned long)k, (long)got[k], (long)got2[k], (long)want[k]);
        CHECK(dpm_sparse_slot_f32(&sp32[0], gone[k], &one) == DPM_OK && one == SIZE_MAX &&
                  dpm_sparse_slot_f32(&kept, gone[k], &one) == DPM_OK && one == SIZE_MAX,
              "sparse f32 loaded: the id the model evicted %lu is mapped", (unsigned long)k);
        CHECK(v.zeta[want[k]] == (float)ZETA0 && v.s_flags[want[k]] == 0 && v.z_flags[want[k]] == 0,
              "sparse f32 loaded: a slot taken after the load is not reset with the saved zeta_init");
    }
}

static void test_sparse_checkpoints64(void) {
    static uint8_t a[CKS64], b[CKS64], again[CKS64];
    static DpmSparseF64 kept;
    static Lru model;
    uint64_t fresh[2] = {UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210)}, gone[2], seq = 0;
    size_t k, one, got[2], got2[2], want[2];
    uint32_t slot = 9;
    DpmStateF64 v, vk;
    memset(a, 0xff, sizeof a), memset(b, 0xff, sizeof b); /* erased flash */
    CHECK(dpm_sparse_next_slot_f64(&sp64[0], a, CKS64, b, CKS64, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "sparse f64 first slot %u seq %lu", (unsigned)slot, (unsigned long)seq);
    CHECK(dpm_sparse_save_f64(&sp64[0], seq, a, CKS64) == DPM_OK, "sparse f64 save to A");
    memcpy(&kept, &sp64[0], sizeof kept), memcpy(&model, &lru[0], sizeof model);
    /* Two new ids (two evictions, two slots reset), saved into B, which
       is then corrupted: the write did not complete. */
    CHECK(dpm_sparse_slots_f64(&sp64[0], fresh, 2, got) == DPM_OK, "sparse f64 slots before B");
    CHECK(dpm_sparse_next_slot_f64(&sp64[0], a, CKS64, b, CKS64, &slot, &seq) == DPM_OK && slot == 1 && seq == 2,
          "sparse f64 second slot %u seq %lu", (unsigned)slot, (unsigned long)seq);
    CHECK(dpm_sparse_save_f64(&sp64[0], seq, b, CKS64) == DPM_OK, "sparse f64 save to B");
    b[CKS64 / 2] ^= 0x10;
    CHECK(dpm_sparse_next_slot_f64(&sp64[0], a, CKS64, b, CKS64, &slot, &seq) == DPM_OK && slot == 1 && seq == 2,
          "sparse f64 next slot with B corrupted: %u seq %lu", (unsigned)slot, (unsigned long)seq);
    /* Reset: nothing mapped; then the newest complete checkpoint. */
    CHECK(dpm_sparse_init_f64(&sp64[0], sizeof sp64[0], 3.0) == DPM_OK, "sparse f64 reset");
    for (k = 0; k < POOL; k++)
        CHECK(dpm_sparse_slot_f64(&sp64[0], pool[k], &got[0]) == DPM_OK && got[0] == SIZE_MAX,
              "sparse f64 reset: id %lu mapped", (unsigned long)k);
    slot = 9, seq = 0;
    CHECK(dpm_sparse_load_newest_f64(&sp64[0], a, CKS64, b, CKS64, &slot, &seq) == DPM_OK && slot == 0 && seq == 1,
          "sparse f64 load newest: slot %u seq %lu", (unsigned)slot, (unsigned long)seq);
    for (k = 0; k < POOL; k++)
        CHECK(dpm_sparse_slot_f64(&sp64[0], pool[k], &got[0]) == DPM_OK && got[0] == lru_find(&model, pool[k]),
              "sparse f64 loaded: id %lu in slot %ld, saved in %ld", (unsigned long)k, (long)got[0],
              (long)lru_find(&model, pool[k]));
    CHECK(dpm_sparse_view_f64(&sp64[0], &v) == DPM_OK && dpm_sparse_view_f64(&kept, &vk) == DPM_OK && same64(&v, &vk, 0),
          "sparse f64 loaded: the arrays are not the saved ones");
    CHECK(dpm_sparse_save_f64(&sp64[0], 1, again, CKS64) == DPM_OK && memcmp(again, a, CKS64) == 0,
          "sparse f64 loaded: saved again, other bytes");
    /* The plain load, into the texts' state, seq optional. */
    seq = 0;
    CHECK(dpm_sparse_load_f64(&sp64[1], a, CKS64, &seq) == DPM_OK && seq == 1 &&
              dpm_sparse_load_f64(&sp64[1], a, CKS64, NULL) == DPM_OK,
          "sparse f64 load");
    for (k = 0; k < POOL; k++)
        CHECK(dpm_sparse_slot_f64(&sp64[1], pool[k], &got[0]) == DPM_OK && got[0] == lru_find(&model, pool[k]),
              "sparse f64 load into the texts: id %lu", (unsigned long)k);
    /* The next evictions: the same ids, evicted in the same order, in
       the loaded state, in the copy and in the model; the slots they take
       reset with the saved zeta_init, not 3. */
    CHECK(lru_slots(&model, fresh, 2, want, gone) == 2, "model: two evictions");
    CHECK(dpm_sparse_slots_f64(&sp64[0], fresh, 2, got) == DPM_OK && dpm_sparse_slots_f64(&kept, fresh, 2, got2) == DPM_OK,
          "sparse f64 slots after the load");
    CHECK(dpm_sparse_view_f64(&sp64[0], &v) == DPM_OK, "sparse f64 view after the load");
    for (k = 0; k < 2; k++) {
        CHECK(got[k] == want[k] && got2[k] == want[k], "sparse f64 loaded: new id %lu in slot %ld / %ld, model %ld",
              (unsigned long)k, (long)got[k], (long)got2[k], (long)want[k]);
        CHECK(dpm_sparse_slot_f64(&sp64[0], gone[k], &one) == DPM_OK && one == SIZE_MAX &&
                  dpm_sparse_slot_f64(&kept, gone[k], &one) == DPM_OK && one == SIZE_MAX,
              "sparse f64 loaded: the id the model evicted %lu is mapped", (unsigned long)k);
        CHECK(v.zeta[want[k]] == ZETA0 && v.s_flags[want[k]] == 0 && v.z_flags[want[k]] == 0,
              "sparse f64 loaded: a slot taken after the load is not reset with the saved zeta_init");
    }
}

/* One bad input or more for every dpm_sparse_* function in float that
   takes any, each refused with its status code and nothing written: not
   the state (its bytes compared whole), not any output. `st` is
   initialised and holds two ids, `never` is storage never initialised
   (bytes 0x5a), `other` is initialised in double. */
static void test_sparse_refusals32(void) {
    static DpmSparseF32 st, before, never, never0;
    static union {
        DpmSparseF32 f32;
        DpmSparseF64 f64;
        uint64_t words[DPM_SPARSE_WORDS_F64 + 1]; /* room for a misaligned state */
    } other, other0;
    static uint64_t many[DPM_SPARSE_CAPACITY + 1];
    static size_t out[DPM_SPARSE_CAPACITY + 1], out0[DPM_SPARSE_CAPACITY + 1];
    static uint8_t ours[CKS32 + 8], theirs[CKS64], dense[CKS32], buf[CKS32 + 8], buf0[CKS32 + 8];
    const uint64_t ids[2] = {UINT64_MAX, 5};
    uint64_t seq = 77;
    uint32_t slot = 77;
    size_t k, one = 77;
    float zeta;
    DpmStateF32 v, v0;
    CHECK(dpm_sparse_init_f32(&st, sizeof st, (float)ZETA0) == DPM_OK && dpm_sparse_slots_f32(&st, ids, 2, out) == DPM_OK,
          "sparse f32 refusals: setup");
    CHECK(dpm_sparse_init_f64(&other.f64, sizeof other.f64, ZETA0) == DPM_OK &&
              dpm_sparse_save_f64(&other.f64, 1, theirs, CKS64) == DPM_OK,
          "sparse f32 refusals: the double state");
    CHECK(dpm_sparse_view_f32(&st, &v) == DPM_OK && dpm_sparse_save_f32(&st, 1, ours, CKS32) == DPM_OK &&
              dpm_state_save_f32(&v, 1, dense, dpm_checkpoint_len_f32(CAP)) == DPM_OK,
          "sparse f32 refusals: the checkpoints");
    memset(&never, 0x5a, sizeof never), memset(buf, 0x5a, sizeof buf), memset(out, 0xee, sizeof out);
    memset(&v0, 0x5a, sizeof v0);
    for (k = 0; k <= CAP; k++) many[k] = k + 1000;
    memcpy(&before, &st, sizeof st), memcpy(&never0, &never, sizeof never), memcpy(&other0, &other, sizeof other);
    memcpy(buf0, buf, sizeof buf), memcpy(out0, out, sizeof out);
#define SPARSE_UNTOUCHED(what)                                                                                        \
    CHECK(!memcmp(&st, &before, sizeof st) && !memcmp(&never, &never0, sizeof never) &&                                \
              !memcmp(&other, &other0, sizeof other) && !memcmp(buf, buf0, sizeof buf) &&                             \
              !memcmp(out, out0, sizeof out) && seq == 77 && slot == 77 && one == 77,                                 \
          "%s: something was written", what)

    /* init: the other capacity's size, a zeta_init not finite, NULL, misaligned. */
    CHECK(dpm_sparse_init_f32(&st, sizeof st - 8, 0.0f) == DPM_ERR_LENGTH_MISMATCH, "sparse f32 init: bytes");
    CHECK(dpm_sparse_init_f32(&st, sizeof st, NAN) == DPM_ERR_INVALID_PARAMETER, "sparse f32 init: NaN");
    CHECK(dpm_sparse_init_f32(&st, sizeof st, -INFINITY) == DPM_ERR_INVALID_PARAMETER, "sparse f32 init: -inf");
    CHECK(dpm_sparse_init_f32(NULL, sizeof st, 0.0f) == DPM_ERR_BAD_POINTER, "sparse f32 init: NULL");
    CHECK(dpm_sparse_init_f32((DpmSparseF32 *)((char *)&other + 4), sizeof st, 0.0f) == DPM_ERR_BAD_POINTER,
          "sparse f32 init: misaligned");
    SPARSE_UNTOUCHED("sparse f32 init");

    /* slots: storage never initialised or in double; more ids than
       slots (distinct, or one id repeated); NULL or overlapping output. */
    CHECK(dpm_sparse_slots_f32(&never, ids, 2, out) == DPM_ERR_BAD_POINTER, "sparse f32 slots: never initialised");
    CHECK(dpm_sparse_slots_f32(&other.f32, ids, 2, out) == DPM_ERR_BAD_POINTER, "sparse f32 slots: a double state");
    CHECK(dpm_sparse_slots_f32(&st, many, CAP + 1, out) == DPM_ERR_LENGTH_MISMATCH, "sparse f32 slots: CAP + 1 ids");
    for (k = 0; k <= CAP; k++) many[k] = 42;
    CHECK(dpm_sparse_slots_f32(&st, many, CAP + 1, out) == DPM_ERR_LENGTH_MISMATCH, "sparse f32 slots: CAP + 1 repeats");
    CHECK(dpm_sparse_slots_f32(&st, ids, 2, NULL) == DPM_ERR_BAD_POINTER, "sparse f32 slots: NULL output");
    CHECK(dpm_sparse_slots_f32(&st, many, 2, (size_t *)(void *)many) == DPM_ERR_BAD_POINTER,
          "sparse f32 slots: output over the ids");
    CHECK(many[0] == 42 && many[1] == 42, "sparse f32 slots: output over the ids written");
    CHECK(dpm_sparse_slots_f32(&st, NULL, 0, NULL) == DPM_OK, "sparse f32 slots: no ids");
    SPARSE_UNTOUCHED("sparse f32 slots");

    /* slot: NULL output, storage never initialised or in double. */
    CHECK(dpm_sparse_slot_f32(&st, 5, NULL) == DPM_ERR_BAD_POINTER, "sparse f32 slot: NULL");
    CHECK(dpm_sparse_slot_f32(&never, 5, &one) == DPM_ERR_BAD_POINTER, "sparse f32 slot: never initialised");
    CHECK(dpm_sparse_slot_f32(&other.f32, 5, &one) == DPM_ERR_BAD_POINTER, "sparse f32 slot: a double state");
    SPARSE_UNTOUCHED("sparse f32 slot");

    /* view: NULL output, storage never initialised or in double. */
    memcpy(&v, &v0, sizeof v);
    CHECK(dpm_sparse_view_f32(&st, NULL) == DPM_ERR_BAD_POINTER, "sparse f32 view: NULL");
    CHECK(dpm_sparse_view_f32(&never, &v) == DPM_ERR_BAD_POINTER, "sparse f32 view: never initialised");
    CHECK(dpm_sparse_view_f32(&other.f32, &v) == DPM_ERR_BAD_POINTER, "sparse f32 view: a double state");
    CHECK(!memcmp(&v, &v0, sizeof v), "sparse f32 view: a refused view written");
    SPARSE_UNTOUCHED("sparse f32 view");

    /* save: a buffer one byte short, NULL or over the state, storage never
       initialised, a NaN zeta written through the view. A whole
       checkpoint writes its bytes and nothing after them. */
    CHECK(dpm_sparse_save_f32(&st, 2, buf, CKS32 - 1) == DPM_ERR_LENGTH_MISMATCH, "sparse f32 save: short buffer");
    CHECK(dpm_sparse_save_f32(&st, 2, NULL, CKS32) == DPM_ERR_BAD_POINTER, "sparse f32 save: NULL");
    CHECK(dpm_sparse_save_f32(&never, 2, buf, CKS32) == DPM_ERR_BAD_POINTER, "sparse f32 save: never initialised");
    CHECK(dpm_sparse_save_f32(&other.f32, 2, buf, CKS32) == DPM_ERR_BAD_POINTER, "sparse f32 save: a double state");
    CHECK(dpm_sparse_view_f32(&st, &v) == DPM_OK, "sparse f32 view");
    zeta = v.zeta[CAP - 1], v.zeta[CAP - 1] = NAN;
    CHECK(dpm_sparse_save_f32(&st, 2, buf, CKS32) == DPM_ERR_NON_FINITE, "sparse f32 save: NaN zeta");
    v.zeta[CAP - 1] = zeta;
    SPARSE_UNTOUCHED("sparse f32 save");
    CHECK(dpm_sparse_save_f32(&st, 1, buf, CKS32 + 8) == DPM_OK && !memcmp(buf, ours, CKS32) &&
              !memcmp(buf + CKS32, buf0 + CKS32, 8),
          "sparse f32 save: past the checkpoint");
    memcpy(buf, buf0, sizeof buf);

    /* load: truncated, corrupted, a double checkpoint, a dense state's,
       NULL, storage never initialised. */
    CHECK(dpm_sparse_load_f32(&st, ours, CKS32 - 1, &seq) == DPM_ERR_BAD_CHECKPOINT, "sparse f32 load: truncated");
    CHECK(dpm_sparse_load_f32(&st, theirs, CKS64, &seq) == DPM_ERR_BAD_CHECKPOINT, "sparse f32 load: double");
    CHECK(dpm_sparse_load_f32(&st, dense, dpm_checkpoint_len_f32(CAP), &seq) == DPM_ERR_BAD_CHECKPOINT,
          "sparse f32 load: a dense state's checkpoint");
    ours[CKS32 - 9] ^= 1;
    CHECK(dpm_sparse_load_f32(&st, ours, CKS32, &seq) == DPM_ERR_BAD_CHECKPOINT, "sparse f32 load: corrupted");
    ours[CKS32 - 9] ^= 1;
    CHECK(dpm_sparse_load_f32(&st, NULL, CKS32, &seq) == DPM_ERR_BAD_POINTER, "sparse f32 load: NULL");
    CHECK(dpm_sparse_load_f32(&never, ours, CKS32, &seq) == DPM_ERR_BAD_POINTER, "sparse f32 load: never initialised");
    SPARSE_UNTOUCHED("sparse f32 load");

    /* next_slot: NULL outputs, storage never initialised; a double
       checkpoint counts as no checkpoint. */
    CHECK(dpm_sparse_next_slot_f32(&st, ours, CKS32, buf, CKS32, NULL, &seq) == DPM_ERR_BAD_POINTER,
          "sparse f32 next slot: NULL slot");
    CHECK(dpm_sparse_next_slot_f32(&st, ours, CKS32, buf, CKS32, &slot, NULL) == DPM_ERR_BAD_POINTER,
          "sparse f32 next slot: NULL seq");
    CHECK(dpm_sparse_next_slot_f32(&never, ours, CKS32, buf, CKS32, &slot, &seq) == DPM_ERR_BAD_POINTER,
          "sparse f32 next slot: never initialised");
    SPARSE_UNTOUCHED("sparse f32 next slot");
    CHECK(dpm_sparse_next_slot_f32(&st, theirs, CKS64, ours, CKS32, &slot, &seq) == DPM_OK && slot == 0 && seq == 2,
          "sparse f32 next slot: a double checkpoint in A: %u, %lu", (unsigned)slot, (unsigned long)seq);
    slot = 77, seq = 77;

    /* load_newest: no loadable checkpoint (a double one and a dense
       one), storage never initialised. */
    CHECK(dpm_sparse_load_newest_f32(&st, theirs, CKS64, dense, CKS32, &slot, &seq) == DPM_ERR_BAD_CHECKPOINT,
          "sparse f32 load newest: nothing to load");
    CHECK(dpm_sparse_load_newest_f32(&never, ours, CKS32, ours, CKS32, &slot, &seq) == DPM_ERR_BAD_POINTER,
          "sparse f32 load newest: never initialised");
    SPARSE_UNTOUCHED("sparse f32 load newest");
#undef SPARSE_UNTOUCHED
}

/* One bad input or more for every dpm_sparse_* function in double that
   takes any, each refused with its status code and nothing written: not
   the state (its bytes compared whole), not any output. `st` is
   initialised and holds two ids, `never` is storage never initialised
   (bytes 0x5a), `other` is initialised in float. */
static void test_sparse_refusals64(void) {
    static DpmSparseF64 st, before, never, never0;
    static union {
        DpmSparseF64 f64;
        DpmSparseF32 f32;
        uint64_t words[DPM_SPARSE_WORDS_F64 + 1]; /* room for a misaligned state */
    } other, other0;
    static uint64_t many[DPM_SPARSE_CAPACITY + 1];
    static size_t out[DPM_SPARSE_CAPACITY + 1], out0[DPM_SPARSE_CAPACITY + 1];
    static uint8_t ours[CKS64 + 8], theirs[CKS32], dense[CKS64], buf[CKS64 + 8], buf0[CKS64 + 8];
    const uint64_t ids[2] = {UINT64_MAX, 5};
    uint64_t seq = 77;
    uint32_t slot = 77;
    size_t k, one = 77;
    double zeta;
    DpmStateF64 v, v0;
    CHECK(dpm_sparse_init_f64(&st, sizeof st, ZETA0) == DPM_OK && dpm_sparse_slots_f64(&st, ids, 2, out) == DPM_OK,
          "sparse f64 refusals: setup");
    CHECK(dpm_sparse_init_f32(&other.f32, sizeof other.f32, ZETA0) == DPM_OK &&
              dpm_sparse_save_f32(&other.f32, 1, theirs, CKS32) == DPM_OK,
          "sparse f64 refusals: the float state");
    CHECK(dpm_sparse_view_f64(&st, &v) == DPM_OK && dpm_sparse_save_f64(&st, 1, ours, CKS64) == DPM_OK &&
              dpm_state_save_f64(&v, 1, dense, dpm_checkpoint_len_f64(CAP)) == DPM_OK,
          "sparse f64 refusals: the checkpoints");
    memset(&never, 0x5a, sizeof never), memset(buf, 0x5a, sizeof buf), memset(out, 0xee, sizeof out);
    memset(&v0, 0x5a, sizeof v0);
    for (k = 0; k <= CAP; k++) many[k] = k + 1000;
    memcpy(&before, &st, sizeof st), memcpy(&never0, &never, sizeof never), memcpy(&other0, &other, sizeof other);
    memcpy(buf0, buf, sizeof buf), memcpy(out0, out, sizeof out);
#define SPARSE_UNTOUCHED(what)                                                                                        \
    CHECK(!memcmp(&st, &before, sizeof st) && !memcmp(&never, &never0, sizeof never) &&                                \
              !memcmp(&other, &other0, sizeof other) && !memcmp(buf, buf0, sizeof buf) &&                             \
              !memcmp(out, out0, sizeof out) && seq == 77 && slot == 77 && one == 77,                                 \
          "%s: something was written", what)

    /* init: the other capacity's size, a zeta_init not finite, NULL, misaligned. */
    CHECK(dpm_sparse_init_f64(&st, sizeof st - 8, 0.0) == DPM_ERR_LENGTH_MISMATCH, "sparse f64 init: bytes");
    CHECK(dpm_sparse_init_f64(&st, sizeof st, NAN) == DPM_ERR_INVALID_PARAMETER, "sparse f64 init: NaN");
    CHECK(dpm_sparse_init_f64(&st, sizeof st, -INFINITY) == DPM_ERR_INVALID_PARAMETER, "sparse f64 init: -inf");
    CHECK(dpm_sparse_init_f64(NULL, sizeof st, 0.0) == DPM_ERR_BAD_POINTER, "sparse f64 init: NULL");
    CHECK(dpm_sparse_init_f64((DpmSparseF64 *)((char *)&other + 4), sizeof st, 0.0) == DPM_ERR_BAD_POINTER,
          "sparse f64 init: misaligned");
    SPARSE_UNTOUCHED("sparse f64 init");

    /* slots: storage never initialised or in float; more ids than
       slots (distinct, or one id repeated); NULL or overlapping output. */
    CHECK(dpm_sparse_slots_f64(&never, ids, 2, out) == DPM_ERR_BAD_POINTER, "sparse f64 slots: never initialised");
    CHECK(dpm_sparse_slots_f64(&other.f64, ids, 2, out) == DPM_ERR_BAD_POINTER, "sparse f64 slots: a float state");
    CHECK(dpm_sparse_slots_f64(&st, many, CAP + 1, out) == DPM_ERR_LENGTH_MISMATCH, "sparse f64 slots: CAP + 1 ids");
    for (k = 0; k <= CAP; k++) many[k] = 42;
    CHECK(dpm_sparse_slots_f64(&st, many, CAP + 1, out) == DPM_ERR_LENGTH_MISMATCH, "sparse f64 slots: CAP + 1 repeats");
    CHECK(dpm_sparse_slots_f64(&st, ids, 2, NULL) == DPM_ERR_BAD_POINTER, "sparse f64 slots: NULL output");
    CHECK(dpm_sparse_slots_f64(&st, many, 2, (size_t *)(void *)many) == DPM_ERR_BAD_POINTER,
          "sparse f64 slots: output over the ids");
    CHECK(many[0] == 42 && many[1] == 42, "sparse f64 slots: output over the ids written");
    CHECK(dpm_sparse_slots_f64(&st, NULL, 0, NULL) == DPM_OK, "sparse f64 slots: no ids");
    SPARSE_UNTOUCHED("sparse f64 slots");

    /* slot: NULL output, storage never initialised or in float. */
    CHECK(dpm_sparse_slot_f64(&st, 5, NULL) == DPM_ERR_BAD_POINTER, "sparse f64 slot: NULL");
    CHECK(dpm_sparse_slot_f64(&never, 5, &one) == DPM_ERR_BAD_POINTER, "sparse f64 slot: never initialised");
    CHECK(dpm_sparse_slot_f64(&other.f64, 5, &one) == DPM_ERR_BAD_POINTER, "sparse f64 slot: a float state");
    SPARSE_UNTOUCHED("sparse f64 slot");

    /* view: NULL output, storage never initialised or in float. */
    memcpy(&v, &v0, sizeof v);
    CHECK(dpm_sparse_view_f64(&st, NULL) == DPM_ERR_BAD_POINTER, "sparse f64 view: NULL");
    CHECK(dpm_sparse_view_f64(&never, &v) == DPM_ERR_BAD_POINTER, "sparse f64 view: never initialised");
    CHECK(dpm_sparse_view_f64(&other.f64, &v) == DPM_ERR_BAD_POINTER, "sparse f64 view: a float state");
    CHECK(!memcmp(&v, &v0, sizeof v), "sparse f64 view: a refused view written");
    SPARSE_UNTOUCHED("sparse f64 view");

    /* save: a buffer one byte short, NULL or over the state, storage never
       initialised, a NaN zeta written through the view. A whole
       checkpoint writes its bytes and nothing after them. */
    CHECK(dpm_sparse_save_f64(&st, 2, buf, CKS64 - 1) == DPM_ERR_LENGTH_MISMATCH, "sparse f64 save: short buffer");
    CHECK(dpm_sparse_save_f64(&st, 2, NULL, CKS64) == DPM_ERR_BAD_POINTER, "sparse f64 save: NULL");
    CHECK(dpm_sparse_save_f64(&never, 2, buf, CKS64) == DPM_ERR_BAD_POINTER, "sparse f64 save: never initialised");
    CHECK(dpm_sparse_save_f64(&other.f64, 2, buf, CKS64) == DPM_ERR_BAD_POINTER, "sparse f64 save: a float state");
    CHECK(dpm_sparse_view_f64(&st, &v) == DPM_OK, "sparse f64 view");
    zeta = v.zeta[CAP - 1], v.zeta[CAP - 1] = NAN;
    CHECK(dpm_sparse_save_f64(&st, 2, buf, CKS64) == DPM_ERR_NON_FINITE, "sparse f64 save: NaN zeta");
    v.zeta[CAP - 1] = zeta;
    SPARSE_UNTOUCHED("sparse f64 save");
    CHECK(dpm_sparse_save_f64(&st, 1, buf, CKS64 + 8) == DPM_OK && !memcmp(buf, ours, CKS64) &&
              !memcmp(buf + CKS64, buf0 + CKS64, 8),
          "sparse f64 save: past the checkpoint");
    memcpy(buf, buf0, sizeof buf);

    /* load: truncated, corrupted, a double checkpoint, a dense state's,
       NULL, storage never initialised. */
    CHECK(dpm_sparse_load_f64(&st, ours, CKS64 - 1, &seq) == DPM_ERR_BAD_CHECKPOINT, "sparse f64 load: truncated");
    CHECK(dpm_sparse_load_f64(&st, theirs, CKS32, &seq) == DPM_ERR_BAD_CHECKPOINT, "sparse f64 load: float");
    CHECK(dpm_sparse_load_f64(&st, dense, dpm_checkpoint_len_f64(CAP), &seq) == DPM_ERR_BAD_CHECKPOINT,
          "sparse f64 load: a dense state's checkpoint");
    ours[CKS64 - 9] ^= 1;
    CHECK(dpm_sparse_load_f64(&st, ours, CKS64, &seq) == DPM_ERR_BAD_CHECKPOINT, "sparse f64 load: corrupted");
    ours[CKS64 - 9] ^= 1;
    CHECK(dpm_sparse_load_f64(&st, NULL, CKS64, &seq) == DPM_ERR_BAD_POINTER, "sparse f64 load: NULL");
    CHECK(dpm_sparse_load_f64(&never, ours, CKS64, &seq) == DPM_ERR_BAD_POINTER, "sparse f64 load: never initialised");
    SPARSE_UNTOUCHED("sparse f64 load");

    /* next_slot: NULL outputs, storage never initialised; a float
       checkpoint counts as no checkpoint. */
    CHECK(dpm_sparse_next_slot_f64(&st, ours, CKS64, buf, CKS64, NULL, &seq) == DPM_ERR_BAD_POINTER,
          "sparse f64 next slot: NULL slot");
    CHECK(dpm_sparse_next_slot_f64(&st, ours, CKS64, buf, CKS64, &slot, NULL) == DPM_ERR_BAD_POINTER,
          "sparse f64 next slot: NULL seq");
    CHECK(dpm_sparse_next_slot_f64(&never, ours, CKS64, buf, CKS64, &slot, &seq) == DPM_ERR_BAD_POINTER,
          "sparse f64 next slot: never initialised");
    SPARSE_UNTOUCHED("sparse f64 next slot");
    CHECK(dpm_sparse_next_slot_f64(&st, theirs, CKS32, ours, CKS64, &slot, &seq) == DPM_OK && slot == 0 && seq == 2,
          "sparse f64 next slot: a float checkpoint in A: %u, %lu", (unsigned)slot, (unsigned long)seq);
    slot = 77, seq = 77;

    /* load_newest: no loadable checkpoint (a float one and a dense
       one), storage never initialised. */
    CHECK(dpm_sparse_load_newest_f64(&st, theirs, CKS32, dense, CKS64, &slot, &seq) == DPM_ERR_BAD_CHECKPOINT,
          "sparse f64 load newest: nothing to load");
    CHECK(dpm_sparse_load_newest_f64(&never, ours, CKS64, ours, CKS64, &slot, &seq) == DPM_ERR_BAD_POINTER,
          "sparse f64 load newest: never initialised");
    SPARSE_UNTOUCHED("sparse f64 load newest");
#undef SPARSE_UNTOUCHED
}

int main(void) {
    test_step();
    test_refusals();
    test_lse_and_messages();
    test_checkpoints();
    test_tiled();
    test_families();
    test_families_tiled();
    test_from_features();
    test_f64_steps();
    test_f64_checkpoints_and_refusals();
    if (test_sparse_stream()) {
        test_sparse_checkpoints32();
        test_sparse_checkpoints64();
        test_sparse_refusals32();
        test_sparse_refusals64();
    }
    printf("capi test: %s (%d failures)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
