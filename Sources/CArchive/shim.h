#pragma once
#include <archive.h>
#include <archive_entry.h>

// libarchive's AE_IF* macros are casts Swift cannot import.
static const unsigned int gssa_ae_ifreg = AE_IFREG;
static const unsigned int gssa_ae_ifdir = AE_IFDIR;
static const unsigned int gssa_ae_iflnk = AE_IFLNK;
