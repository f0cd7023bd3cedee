/* accomp: the command-line tool; dispatches to the subcommands in cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command commands[] = {
    {"info", acd_cmd_info, "describe MIDI files: tempo, meter, tracks and their roles"},
    {"train", acd_cmd_train, "train a model on a song collection (checkpoints, resume, curves)"},
    {"bench-train", acd_cmd_bench_train, "training throughput (time steps x batch per second)"},
    {"render", acd_cmd_render, "accompany a MIDI file's melody offline (MIDI, piano-roll SVG, WAV)"},
    {"eval", acd_cmd_eval, "score models and baselines against the human accompaniment"},
    {"calibrate", acd_cmd_calibrate, "calibrate a model's thresholds to the human's density"},
    {"bench", acd_cmd_bench, "time one step of model and sampler; FLOPs, bytes, roofline"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: accomp COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'accomp COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("accomp %s\n", ACD_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "accomp: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
