/*
 * version.h: the one version string of aliasd, aliasctl and
 * alias-sendmail, for --version.  A packager may set it with
 * -DALIASD_VERSION=...
 */
#ifndef ALIASD_VERSION_H
#define ALIASD_VERSION_H

#ifndef ALIASD_VERSION
#define ALIASD_VERSION "0.9.0"
#endif

#endif
