/* Tests of the configuration file: the shipped file, every error class, precedence, search,
 * printing. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_internal.h"
#include "testutil.h"

/* Writable argv strings (-Wwrite-strings makes literals const), freed at exit of the test. */
static char *pool[64];
static int n_pool;

static char *w(const char *s)
{
    ck_assert_int_lt(n_pool, 64);
    return pool[n_pool++] = strdup(s);
}

static void pool_free(void)
{
    while (n_pool > 0)
        free(pool[--n_pool]);
}

/* Load text over the defaults; returns the status, message in err. */
static AcdStatus load(const char *text, AcdConfig *cfg, AcdOptions *o, AcdError *err)
{
    acd_config_init(cfg);
    acd_options_default(o);
    return acd_config_load_string(cfg, o, text, "t.conf", err);
}

/* The message text loads with, after a failure. */
static const char *fails(const char *text)
{
    static AcdError err;
    AcdConfig cfg;
    AcdOptions o;
    memset(&err, 0, sizeof err);
    ck_assert_int_ne(load(text, &cfg, &o, &err), ACD_OK);
    acd_config_cleanup(&cfg);
    return err.msg;
}

START_TEST(table_covers_options)
{
    /* A new AcdOptions field needs a key here and a line in conf/accompd.conf. */
    ck_assert_msg(sizeof(AcdOptions) == ACD_CONFIG_OPTIONS_SIZE_KNOWN,
                  "AcdOptions changed (%zu bytes): update src/config_keys.c and conf/accompd.conf",
                  sizeof(AcdOptions));
    ck_assert_uint_le(acd_config_n_keys(), ACD_CONFIG_MAX_KEYS);
    for (size_t i = 0; i < acd_config_n_keys(); i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(acd_config_key(i), acd_config_key(j));
}
END_TEST

START_TEST(shipped_file_is_the_defaults)
{
    const char *path = acd_test_src("conf/accompd.conf");
    AcdConfig cfg;
    AcdOptions o, def;
    AcdError err = {0};
    acd_config_init(&cfg);
    acd_options_default(&o);
    acd_options_default(&def);
    ck_assert_msg(acd_config_load_file(&cfg, &o, path, &err) == ACD_OK, "%s", err.msg);
    ck_assert(acd_config_equal(&o, &def));
    ck_assert_str_eq(cfg.path, path);
    ck_assert_int_eq(acd_config_origin(&cfg, "tempo").kind, ACD_ORIGIN_FILE);
    ck_assert_uint_gt(acd_config_origin(&cfg, "tempo").line, 1);
    ck_assert_int_eq(acd_config_origin(&cfg, "model").kind, ACD_ORIGIN_DEFAULT);
    acd_config_cleanup(&cfg);

    /* Every key is documented in it, set or as a comment. */
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[ACD_CONFIG_MAX_BYTES];
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    for (size_t i = 0; i < acd_config_n_keys(); i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\n%s = ", acd_config_key(i));
        char commented[64];
        snprintf(commented, sizeof commented, "\n# %s = ", acd_config_key(i));
        ck_assert_msg(strstr(text, pat) || strstr(text, commented), "%s not in accompd.conf",
                      acd_config_key(i));
    }
}
END_TEST

START_TEST(values_and_lines)
{
    AcdConfig cfg;
    AcdOptions o;
    AcdError err = {0};
    const char *text = "# comment\n"
                       "tempo = 96;\n"
                       "grace_ms = 7.5; velocity = 0x64\n"
                       "seed = 123456789L;\n"
                       "connect_out = [\"fluid.*\", \"b\"];\n"
                       "thru = true;\n"
                       "name = \"acc \\\"x\\\"\";\n";
    ck_assert_msg(load(text, &cfg, &o, &err) == ACD_OK, "%s", err.msg);
    ck_assert(o.tempo_bpm == 96.0);
    ck_assert(o.grace_ms == 7.5);
    ck_assert_int_eq(o.velocity, 100);
    ck_assert_uint_eq(o.seed, 123456789u);
    ck_assert_str_eq(o.connect_out[0], "fluid.*");
    ck_assert_str_eq(o.connect_out[1], "b");
    ck_assert_ptr_null(o.connect_out[2]);
    ck_assert(o.thru);
    ck_assert_str_eq(o.client_name, "acc \"x\"");
    ck_assert_uint_eq(acd_config_origin(&cfg, "tempo").line, 2);
    ck_assert_uint_eq(acd_config_origin(&cfg, "velocity").line, 3);
    ck_assert_uint_eq(acd_config_origin(&cfg, "thru").line, 6);
    acd_config_cleanup(&cfg);
}
END_TEST

START_TEST(syntax_errors)
{
    ck_assert_str_eq(fails("tempo = 100;\nvelocity = ;\n"), "t.conf:2: syntax error");
    ck_assert_str_eq(fails("tempo = 100;\ntempo = 101;\n"), "t.conf:2: duplicate setting name");
    ck_assert_str_eq(fails("tempo = 100;\n@include \"/etc/hostname\"\n"),
                     "t.conf:2: @include is not supported");
    ck_assert_str_eq(fails("tempo = 100;\nname = \"x;\n\n"), "t.conf:2: unterminated string");
    ck_assert_str_eq(fails("name = \"a\\\""), "t.conf:1: unterminated string");
    ck_assert_str_eq(fails("# \"\nname = \"#\"; /* \" */ tempo = \"x"),
                     "t.conf:2: unterminated string");
}
END_TEST

START_TEST(unknown_keys)
{
    ck_assert_str_eq(fails("tempo = 100;\n\ntemp = 100;\n"), "t.conf:3: unknown key 'temp'");
    ck_assert_str_eq(fails("jack = { name = \"x\"; };\n"), "t.conf:1: unknown key 'jack'");
}
END_TEST

START_TEST(wrong_types)
{
    ck_assert_str_eq(fails("velocity = \"loud\";"),
                     "t.conf:1: velocity: expected an integer, not a string");
    ck_assert_str_eq(fails("velocity = 80.0;"),
                     "t.conf:1: velocity: expected an integer, not a float");
    ck_assert_str_eq(fails("\ntempo = \"fast\";"),
                     "t.conf:2: tempo: expected a number, not a string");
    ck_assert_str_eq(fails("thru = 1;"), "t.conf:1: thru: expected true or false, not an integer");
    ck_assert_str_eq(fails("name = 5;"), "t.conf:1: name: expected a string, not an integer");
    ck_assert_str_eq(fails("connect_in = \"x\";"),
                     "t.conf:1: connect_in: expected a list of strings, not a string");
    ck_assert_str_eq(fails("connect_in = [1, 2];"),
                     "t.conf:1: connect_in: expected a list of strings, not an integer");
    ck_assert_str_eq(fails("channel = { a = 1; };"),
                     "t.conf:1: channel: expected an integer, not a group");
    ck_assert_str_eq(fails("channel = [1];"),
                     "t.conf:1: channel: expected an integer, not an array");
}
END_TEST

START_TEST(out_of_range)
{
    ck_assert_str_eq(fails("velocity = 300;"),
                     "t.conf:1: velocity = 300: out of range, expected an integer in [1, 127]");
    ck_assert_str_eq(fails("channel = 0;"),
                     "t.conf:1: channel = 0: out of range, expected an integer in [1, 16]");
    ck_assert_str_eq(fails("tempo = 500.5;"),
                     "t.conf:1: tempo = 500.5: out of range, expected a number in [20, 400]");
    ck_assert_str_eq(fails("tempo = 1e999;"),
                     "t.conf:1: tempo = inf: out of range, expected a number in [20, 400]");
    ck_assert_str_eq(fails("in_ring = 1000;"), "t.conf:1: in_ring = 1000: out of range, expected "
                                               "a power of two in [16, 1048576]");
    ck_assert_str_eq(fails("name = \"\";"), "t.conf:1: name: must not be empty");
    ck_assert_str_eq(fails("connect_in = [\"a\", \"\"];"), "t.conf:1: connect_in: empty pattern");
    ck_assert_str_eq(fails("connect_in = [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"];"),
                     "t.conf:1: connect_in: at most 8 patterns, not 9");
    ck_assert_str_eq(fails("\nin_reserve = 1024;"),
                     "t.conf:2: in_reserve = 1024 must be below in_ring = 1024");
}
END_TEST

/* libconfig 1.5 wraps these to values in range (1, -1, 120, ...); we must not. */
START_TEST(no_silent_wrap)
{
    ck_assert_str_eq(
        fails("channel = 4294967297;"),
        "t.conf:1: channel = 4294967297: out of range, expected an integer in [1, 16]");
    ck_assert_str_eq(fails("tempo = 4294967416;"),
                     "t.conf:1: tempo = 4294967416: out of range, expected a number in [20, 400]");
    ck_assert_str_eq(
        fails("velocity = 0xFFFFFFFF;"),
        "t.conf:1: velocity = 0xFFFFFFFF: out of range, expected an integer in [1, 127]");
    ck_assert_str_eq(fails("seed = 99999999999999999999;"),
                     "t.conf:1: seed = 99999999999999999999: out of range, expected an integer in "
                     "[0, 2147483647]");
    ck_assert_str_eq(fails("channel = -9223372036854775809;"),
                     "t.conf:1: channel = -9223372036854775809: out of range, expected an integer "
                     "in [1, 16]");
    ck_assert_str_eq(fails("channel = 0x10000000000000001L;"),
                     "t.conf:1: channel = 0x10000000000000001L: out of range, expected an integer "
                     "in [1, 16]");
    /* The literal is found past comments, strings and nested names. */
    ck_assert_str_eq(
        fails("name = \"channel = 2\"; # channel = 3\n/* channel = 4 */ channel =\n"
              "  4294967298;"),
        "t.conf:2: channel = 4294967298: out of range, expected an integer in [1, 16]");
}
END_TEST

START_TEST(literal_parser)
{
    int64_t v = 0;
    bool over = true;
    ck_assert(acd_config_parse_int("-42", &v, &over) && !over && v == -42);
    ck_assert(acd_config_parse_int("0x7fffffffffffffffL", &v, &over) && !over && v == INT64_MAX);
    ck_assert(acd_config_parse_int("-9223372036854775808LL", &v, &over) && !over && v == INT64_MIN);
    ck_assert(acd_config_parse_int("9223372036854775808", &v, &over) && over);
    ck_assert(!acd_config_parse_int("1.5", &v, &over));
    ck_assert(!acd_config_parse_int("", &v, &over));
    char lit[32];
    ck_assert(acd_config_literal("a = { b = 1; }; b = 2;", "b", lit, sizeof lit));
    ck_assert_str_eq(lit, "2");
    ck_assert(!acd_config_literal("a = 1;", "b", lit, sizeof lit));
}
END_TEST

START_TEST(missing_file)
{
    AcdConfig cfg;
    AcdOptions o;
    AcdError err = {0};
    acd_config_init(&cfg);
    acd_options_default(&o);
    ck_assert_int_eq(acd_config_load_file(&cfg, &o, "/nonexistent/accompd.conf", &err), ACD_ERR_IO);
    ck_assert_str_eq(err.msg, "/nonexistent/accompd.conf: No such file or directory");
    acd_config_cleanup(&cfg);
}
END_TEST

/* Flags win over the file; their keys show as flags, the rest keep their origin. */
START_TEST(flags_override_file)
{
    AcdConfig cfg;
    AcdOptions o;
    AcdError err = {0};
    ck_assert_int_eq(load("tempo = 100;\nvelocity = 90;\nconnect_in = [\"a\", \"b\"];\n"
                          "channel = 3;\n",
                          &cfg, &o, &err),
                     ACD_OK);
    char *argv[] = {w("accompd"),      w("--model"), w("m.safetensors"), w("--tempo"), w("130"),
                    w("--connect-in"), w("c"),       w("--channel=3"),   w("-v"),      NULL};
    ck_assert_msg(acd_config_apply_flags(&cfg, &o, 9, argv, &err) == ACD_OK, "%s", err.msg);
    ck_assert(o.tempo_bpm == 130.0);
    ck_assert_int_eq(o.velocity, 90);
    ck_assert_str_eq(o.connect_in[0], "c");
    ck_assert_ptr_null(o.connect_in[1]);
    ck_assert_int_eq(o.verbose, 1);
    ck_assert_int_eq(acd_config_origin(&cfg, "tempo").kind, ACD_ORIGIN_FLAG);
    ck_assert_int_eq(acd_config_origin(&cfg, "model").kind, ACD_ORIGIN_FLAG);
    ck_assert_int_eq(acd_config_origin(&cfg, "connect_in").kind, ACD_ORIGIN_FLAG);
    ck_assert_int_eq(acd_config_origin(&cfg, "channel").kind, ACD_ORIGIN_FLAG); /* same value */
    ck_assert_int_eq(acd_config_origin(&cfg, "verbose").kind, ACD_ORIGIN_FLAG);
    ck_assert_int_eq(acd_config_origin(&cfg, "velocity").kind, ACD_ORIGIN_FILE);
    ck_assert_uint_eq(acd_config_origin(&cfg, "velocity").line, 2);
    ck_assert_int_eq(acd_config_origin(&cfg, "beats_per_bar").kind, ACD_ORIGIN_DEFAULT);

    /* A caller that sets a field itself marks it the same way. */
    o.velocity = 100;
    ck_assert_int_eq(acd_config_mark(&cfg, "velocity", ACD_ORIGIN_FLAG, 0), ACD_OK);
    ck_assert_int_eq(acd_config_origin(&cfg, "velocity").kind, ACD_ORIGIN_FLAG);
    ck_assert_int_eq(acd_config_mark(&cfg, "nope", ACD_ORIGIN_FLAG, 0), ACD_ERR_INVALID);
    acd_config_cleanup(&cfg);
    pool_free();
}
END_TEST

START_TEST(print_loads_back)
{
    AcdConfig cfg, back_cfg;
    AcdOptions o, back;
    AcdError err = {0};
    ck_assert_int_eq(load("\nvelocity = 90;\nconnect_out = [\"x\\\\y\", \"q\\\"\"];\n"
                          "model = \"m\\tx.st\";\ntemperature = 0.7;\n",
                          &cfg, &o, &err),
                     ACD_OK);
    o.tempo_bpm = 133.25;
    acd_config_mark(&cfg, "tempo", ACD_ORIGIN_FLAG, 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    acd_config_print(&cfg, &o, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "# accompd effective settings; file: t.conf\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nvelocity = 90;  # t.conf:2\n"));
    ck_assert_ptr_nonnull(strstr(text, "\ntempo = 133.25;  # flag --tempo\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nchannel = 1;  # default\n"));
    ck_assert_ptr_nonnull(strstr(text, "\ngrace_ms = 15.0;  # default\n"));
    ck_assert_ptr_nonnull(strstr(text, "\n# max_poly: unset (the model's, else 8);  # default\n"));
    ck_assert_msg(load(text, &back_cfg, &back, &err) == ACD_OK, "%s\n%s", err.msg, text);
    ck_assert(acd_config_equal(&o, &back));
    free(text);
    acd_config_cleanup(&back_cfg);
    acd_config_cleanup(&cfg);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A private directory tree: DIR/xdg/accompd/accompd.conf, DIR/home/.config/accompd/accompd.conf. */
static char tmp[64];

static void make_tree(void)
{
    char p[256];
    snprintf(tmp, sizeof tmp, "/tmp/acd-config-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    const char *dirs[] = {"xdg", "xdg/accompd", "home", "home/.config", "home/.config/accompd"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", tmp, dirs[i]);
        ck_assert_int_eq(mkdir(p, 0700), 0);
    }
    snprintf(p, sizeof p, "%s/xdg/accompd/accompd.conf", tmp);
    write_file(p, "tempo = 101;\n");
    snprintf(p, sizeof p, "%s/home/.config/accompd/accompd.conf", tmp);
    write_file(p, "tempo = 102;\n");
}

static void remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(search_order)
{
    char p[512], want[256];
    AcdError err = {0};
    make_tree();
    snprintf(want, sizeof want, "%s/xdg", tmp);
    setenv("XDG_CONFIG_HOME", want, 1);
    snprintf(want, sizeof want, "%s/home", tmp);
    setenv("HOME", want, 1);

    ck_assert_int_eq(acd_config_find("/x/given.conf", p, sizeof p, &err), ACD_OK);
    ck_assert_str_eq(p, "/x/given.conf");
    ck_assert_int_eq(acd_config_find(NULL, p, sizeof p, &err), ACD_OK);
    snprintf(want, sizeof want, "%s/xdg/accompd/accompd.conf", tmp);
    ck_assert_str_eq(p, want);

    setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
    ck_assert_int_eq(acd_config_find(NULL, p, sizeof p, &err), ACD_OK);
    snprintf(want, sizeof want, "%s/home/.config/accompd/accompd.conf", tmp);
    ck_assert_str_eq(p, want);

    /* No user file: the system file, if installed on this machine, else none. */
    unsetenv("XDG_CONFIG_HOME");
    snprintf(want, sizeof want, "%s/nohome", tmp);
    setenv("HOME", want, 1);
    AcdStatus st = acd_config_find(NULL, p, sizeof p, &err);
    if (access(acd_config_system_path(), F_OK) == 0) {
        ck_assert_int_eq(st, ACD_OK);
        ck_assert_str_eq(p, acd_config_system_path());
    } else {
        ck_assert_int_eq(st, ACD_ERR_EMPTY);
    }
    ck_assert_ptr_nonnull(strstr(acd_config_system_path(), "/accompd/accompd.conf"));
    remove_tree();
}
END_TEST

START_TEST(setup_whole)
{
    AcdConfig cfg;
    AcdOptions o;
    AcdError err = {0};
    char xdg[256], given[256];
    make_tree();
    snprintf(xdg, sizeof xdg, "%s/xdg", tmp);
    setenv("XDG_CONFIG_HOME", xdg, 1);
    snprintf(given, sizeof given, "%s/given.conf", tmp);
    write_file(given, "tempo = 103;\nvelocity = 70;\n");

    char *argv[] = {w("accompd"), w("--print-config"), w("--config"), given, w("--velocity"),
                    w("71"),      w("--model"),        w("m"),        NULL};
    int argc = 8;
    ck_assert_msg(acd_config_setup(&cfg, &o, &argc, argv, &err) == ACD_OK, "%s", err.msg);
    ck_assert(cfg.print_config);
    ck_assert_str_eq(cfg.config_arg, given);
    ck_assert_int_eq(argc, 5);
    ck_assert_ptr_null(argv[5]);
    ck_assert(o.tempo_bpm == 103.0);
    ck_assert_int_eq(o.velocity, 71);
    ck_assert_str_eq(cfg.path, given);
    acd_config_cleanup(&cfg);

    /* Without --config: the XDG file. */
    char *argv2[] = {w("accompd"), w("--model"), w("m"), NULL};
    argc = 3;
    ck_assert_msg(acd_config_setup(&cfg, &o, &argc, argv2, &err) == ACD_OK, "%s", err.msg);
    ck_assert(o.tempo_bpm == 101.0);
    ck_assert_int_eq(acd_config_origin(&cfg, "tempo").kind, ACD_ORIGIN_FILE);
    acd_config_cleanup(&cfg);

    /* A bad file stops start-up with its line. */
    write_file(given, "tempo = 103;\nvelocty = 70;\n");
    char *argv3[] = {w("accompd"), w("--config"), given, NULL};
    argc = 3;
    ck_assert_int_eq(acd_config_setup(&cfg, &o, &argc, argv3, &err), ACD_ERR_FORMAT);
    char want[300];
    snprintf(want, sizeof want, "%s:2: unknown key 'velocty'", given);
    ck_assert_str_eq(err.msg, want);
    acd_config_cleanup(&cfg);

    char *argv4[] = {w("accompd"), w("--config"), NULL};
    argc = 2;
    ck_assert_int_eq(acd_config_setup(&cfg, &o, &argc, argv4, &err), ACD_ERR_INVALID);
    ck_assert_str_eq(err.msg, "--config needs a value");
    acd_config_cleanup(&cfg);
    remove_tree();
    pool_free();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, table_covers_options);
    tcase_add_test(tc, shipped_file_is_the_defaults);
    tcase_add_test(tc, values_and_lines);
    tcase_add_test(tc, syntax_errors);
    tcase_add_test(tc, unknown_keys);
    tcase_add_test(tc, wrong_types);
    tcase_add_test(tc, out_of_range);
    tcase_add_test(tc, no_silent_wrap);
    tcase_add_test(tc, literal_parser);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, flags_override_file);
    tcase_add_test(tc, print_loads_back);
    tcase_add_test(tc, search_order);
    tcase_add_test(tc, setup_whole);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
