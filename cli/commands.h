/* commands.h: the verbs of aliasctl, one file each (cmd_*.c). */
#ifndef ALIASCTL_COMMANDS_H
#define ALIASCTL_COMMANDS_H

struct ctx;

int cmd_init(struct ctx *, int, char **);
int cmd_new(struct ctx *, int, char **);
int cmd_retire(struct ctx *, int, char **);
int cmd_revive(struct ctx *, int, char **);
int cmd_list(struct ctx *, int, char **);
int cmd_show(struct ctx *, int, char **);
int cmd_for(struct ctx *, int, char **);
int cmd_check(struct ctx *, int, char **);
int cmd_rewrite(struct ctx *, int, char **);
int cmd_default(struct ctx *, int, char **);
int cmd_export(struct ctx *, int, char **);
int cmd_import(struct ctx *, int, char **);
int cmd_mutt_hooks(struct ctx *, int, char **);
int cmd_set(struct ctx *, int, char **);
int cmd_replace(struct ctx *, int, char **);
int cmd_leaks(struct ctx *, int, char **);
int cmd_copy_store(struct ctx *, int, char **);

#endif
