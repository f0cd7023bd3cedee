/* libFuzzer target for the configuration loader, with a print-and-load-back oracle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5's parser leaks a string token it discards on a syntax error
 * (try `"x"` alone): its bug, a few bytes per bad file, not ours to fix. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libconfig.so\n";
}

/* abort() rather than return: libFuzzer records any abort as a crash with its reproducer. */
static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "config oracle: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) /* settings files are small; keep runs fast */
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    AcdConfig cfg, back_cfg;
    AcdOptions o, back;
    AcdError err = {0};
    acd_config_init(&cfg);
    acd_config_init(&back_cfg);
    acd_options_default(&o);
    if (acd_config_load_string(&cfg, &o, text, "fuzz.conf", &err) != ACD_OK) {
        check(strncmp(err.msg, "fuzz.conf", 9) == 0, "error message does not name the file");
        goto done;
    }
    for (size_t i = 0; i < acd_config_n_keys(); i++) {
        AcdOrigin org = acd_config_origin(&cfg, acd_config_key(i));
        check(org.kind != ACD_ORIGIN_FILE || org.line >= 1, "file origin without a line");
    }

    /* What --print-config shows must load back to the same settings. */
    char *printed = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&printed, &len);
    check(f != NULL, "open_memstream");
    acd_config_print(&cfg, &o, f);
    fclose(f);
    acd_options_default(&back);
    AcdStatus st = acd_config_load_string(&back_cfg, &back, printed, "printed.conf", &err);
    if (st != ACD_OK)
        fprintf(stderr, "%s\n--- printed:\n%s", err.msg, printed);
    check(st == ACD_OK, "printed settings do not load");
    check(acd_config_equal(&o, &back), "printed settings load to other values");
    free(printed);
done:
    acd_config_cleanup(&back_cfg);
    acd_config_cleanup(&cfg);
    free(text);
    return 0;
}
