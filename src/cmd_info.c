/* accomp info: describe MIDI files. (Being written; replaced by the real command.) */
#include <stdio.h>

#include "commands.h"

int acd_cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "accomp info: not built yet\n");
    return 1;
}
