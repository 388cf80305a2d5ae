// hiredis is only the RESP codec here: commands are formatted with redisFormatCommandArgv and
// replies are parsed with redisReader*. All I/O is SwiftNIO's.
#ifndef JOBSTATUS_CHIREDIS_SHIM_H
#define JOBSTATUS_CHIREDIS_SHIM_H
#include <hiredis.h>
#include <read.h>
#endif
