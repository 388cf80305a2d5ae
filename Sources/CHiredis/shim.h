// hiredis is the oracle of RedisWire's tests: RedisCommandEncoder is held to its
// redisFormatCommandArgv, RedisReplyParser to its redisReader*. The product links none of it.
#ifndef JOBSTATUS_CHIREDIS_SHIM_H
#define JOBSTATUS_CHIREDIS_SHIM_H
#include <hiredis.h>
#include <read.h>
#endif
