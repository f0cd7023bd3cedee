/* The subcommands of accomp, each in its own cmd_<name>.c. */
#ifndef ACCOMPD_COMMANDS_H
#define ACCOMPD_COMMANDS_H

/* Each returns the process exit status: 0 success, 1 failure, 2 usage error.
 * argv[0] is the subcommand's name. */
int acd_cmd_info(int argc, char **argv);
int acd_cmd_train(int argc, char **argv);
int acd_cmd_bench_train(int argc, char **argv);
int acd_cmd_bench(int argc, char **argv);
int acd_cmd_render(int argc, char **argv);
int acd_cmd_eval(int argc, char **argv);
int acd_cmd_calibrate(int argc, char **argv);

#endif
