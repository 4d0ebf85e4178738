/*
 * no_postgres.h: compile-time guard for the Postgres-free core.
 *
 * Every core header includes this file.  The core must never see postgres.h:
 * PostgreSQL reports errors with longjmp, which would skip C++ destructors.
 */
#pragma once

#ifdef POSTGRES_H
#error "src/core must not be compiled together with postgres.h"
#endif
