/*
 * vector.h: the on-disk and in-memory layout of the vector type.
 *
 * Identical to pgvector's: varlena header, int16 dim, int16 unused, float4[].
 */
#ifndef VECTOR_EXT_VECTOR_H
#define VECTOR_EXT_VECTOR_H

#include "postgres.h"

#include "fmgr.h"

#include "vx_core.h"

#define VECTOR_MAX_DIM VX_VECTOR_MAX_DIM

typedef struct Vector
{
	int32 vl_len_; /* varlena header (do not touch directly) */
	int16 dim;     /* number of dimensions */
	int16 unused;  /* reserved, always zero */
	float x[FLEXIBLE_ARRAY_MEMBER];
} Vector;

#define VECTOR_SIZE(_dim)     (offsetof(Vector, x) + sizeof(float) * (_dim))
#define DatumGetVector(x)     ((Vector *)PG_DETOAST_DATUM(x))
#define PG_GETARG_VECTOR_P(x) DatumGetVector(PG_GETARG_DATUM(x))
#define PG_RETURN_VECTOR_P(x) PG_RETURN_POINTER(x)

/*
 * A read-only view of a vector argument that avoids copying values stored
 * with a short (1-byte) varlena header: the elements are then not 4-byte
 * aligned, which the kernels accept.
 */
typedef struct VectorView
{
	int dim;
	const float *x;
} VectorView;

extern VectorView VectorViewFromDatum(Datum d);
extern Vector *InitVector(int dim);
extern void CheckVectorDims(int a, int b);
extern void CheckExpectedDim(int32 typmod, int dim);

#endif
