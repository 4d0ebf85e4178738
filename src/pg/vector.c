/*
 * vector.c: the vector type: input/output, casts, distances, arithmetic,
 * comparison and aggregates.
 *
 * Parsing, printing, binary decoding and the distance kernels live in the
 * C++ core (src/core) behind the C API in vx_core.h; this file only moves
 * datums in and out and turns the core's status codes into ereport().
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "vector.h"

PG_MODULE_MAGIC;

/*
 * Build a zeroed vector of dim elements.
 */
Vector *
InitVector(int dim)
{
	Vector *result = (Vector *)palloc0(VECTOR_SIZE(dim));

	SET_VARSIZE(result, VECTOR_SIZE(dim));
	result->dim = dim;
	return result;
}

/*
 * View a vector datum without copying it when it is stored with a short
 * header; detoasts only out-of-line or compressed values.
 */
VectorView
VectorViewFromDatum(Datum d)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	const char *data = VARDATA_ANY(v);
	int16 dim;
	VectorView view;

	memcpy(&dim, data, sizeof(dim));
	view.dim = dim;
	view.x = (const float *)(data + 2 * sizeof(int16));
	return view;
}

#define PG_GETARG_VECTOR_VIEW(n) VectorViewFromDatum(PG_GETARG_DATUM(n))

static void
CheckDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
		        (errcode(ERRCODE_DATA_EXCEPTION), errmsg("vector must have at least 1 dimension")));
	if (dim > VECTOR_MAX_DIM)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("vector cannot have more than %d dimensions", VECTOR_MAX_DIM)));
}

/*
 * Ensure a value has the dimensions its type modifier asks for.
 */
void
CheckExpectedDim(int32 typmod, int dim)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("expected %d dimensions, not %d", typmod, dim)));
}

/*
 * Ensure two operands have the same dimensions.
 */
void
CheckVectorDims(int a, int b)
{
	if (a != b)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("different vector dimensions %d and %d", a, b)));
}

static inline void
CheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in vector")));
	if (isinf(value))
		ereport(ERROR,
		        (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in vector")));
}

/*
 * Report a failed parse of a text literal with pgvector's messages.
 */
static void
ReportParseError(VxStatus status, const VxError *err, const char *lit)
{
	switch (status)
	{
		case VX_ERR_OUT_OF_RANGE:
		{
			/*
			 * Name just the offending number, as float4in does.  The core
			 * accepts a subset of what strtod reads, so strtod finds where
			 * the number ends (and never stops before the core did).
			 */
			const char *start = lit + err->detail;
			char *end;

			(void)strtod(start, &end);
			if (end == start)
				end = (char *)start + strcspn(start, ",] \t\n\r\v\f");
			ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			                errmsg("\"%s\" is out of range for type vector",
			                       pnstrdup(start, end - start))));
			break;
		}
		case VX_ERR_NAN: CheckElement(NAN); break;
		case VX_ERR_INF: CheckElement(INFINITY); break;
		case VX_ERR_EMPTY: CheckDim(0); break;
		case VX_ERR_TOO_MANY_DIMS: CheckDim(VECTOR_MAX_DIM + 1); break;
		case VX_ERR_NO_MEMORY:
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			break;
		case VX_ERR_INTERNAL:
			/* a failure inside the core is not the user's syntax error */
			elog(ERROR, "vector_ext core failed to parse a vector: %s", err->message);
			break;
		case VX_ERR_SYNTAX:
		default:
			ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			                errmsg("invalid input syntax for type vector: \"%s\"", lit)));
	}
}

PG_FUNCTION_INFO_V1(vector_in);
Datum
vector_in(PG_FUNCTION_ARGS)
{
	char *lit = PG_GETARG_CSTRING(0);
	int32 typmod = PG_GETARG_INT32(2);
	size_t len = strlen(lit);
	size_t capacity = Min(vx_vector_text_max_elements(len), (size_t)VECTOR_MAX_DIM);
	Vector *result = (Vector *)palloc(VECTOR_SIZE(capacity));
	VxError err;
	int dim = 0;
	VxStatus status = vx_vector_parse(lit, len, result->x, (int)capacity, &dim, &err);

	if (status != VX_OK)
		ReportParseError(status, &err, lit);

	CheckExpectedDim(typmod, dim);
	SET_VARSIZE(result, VECTOR_SIZE(dim));
	result->dim = dim;
	result->unused = 0;
	PG_RETURN_VECTOR_P(result);
}

/*
 * The core prints each element as float4out does: the shortest decimal that
 * reads back to the same float, never one on a rounding boundary.
 */
PG_FUNCTION_INFO_V1(vector_out);
Datum
vector_out(PG_FUNCTION_ARGS)
{
	VectorView v = PG_GETARG_VECTOR_VIEW(0);
	char *buf = palloc(vx_vector_format_capacity(v.dim));

	vx_vector_format(v.x, v.dim, buf);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(vector_typmod_in);
Datum
vector_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32 *tl;
	int n;

	tl = ArrayGetIntegerTypmods(ta, &n);
	if (n != 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid type modifier")));
	if (*tl < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("dimensions for type vector must be at least 1")));
	if (*tl > VECTOR_MAX_DIM)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("dimensions for type vector cannot exceed %d", VECTOR_MAX_DIM)));
	PG_RETURN_INT32(*tl);
}

static void
ReportShortMessage(void)
{
	ereport(ERROR,
	        (errcode(ERRCODE_PROTOCOL_VIOLATION), errmsg("insufficient data left in message")));
}

PG_FUNCTION_INFO_V1(vector_recv);
Datum
vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo buf = (StringInfo)PG_GETARG_POINTER(0);
	int32 typmod = PG_GETARG_INT32(2);
	const uint8 *data = (const uint8 *)buf->data + buf->cursor;
	size_t len = (size_t)(buf->len - buf->cursor);
	int dim;
	int unused;
	VxError err;
	VxStatus status;
	Vector *result;

	status = vx_vector_binary_header(data, len, &dim, &unused, &err);
	switch (status)
	{
		case VX_OK: break;
		case VX_ERR_SHORT_MESSAGE: ReportShortMessage(); break;
		case VX_ERR_BAD_UNUSED:
			CheckExpectedDim(typmod, dim);
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
			                errmsg("expected unused to be 0, not %d", unused)));
			break;
		default:
			CheckDim(dim);
			elog(ERROR, "unexpected status %d decoding a binary vector header", (int)status);
	}
	CheckExpectedDim(typmod, dim);

	result = InitVector(dim);
	status = vx_vector_binary_elements(data, len, dim, result->x, &err);
	switch (status)
	{
		case VX_OK: break;
		case VX_ERR_SHORT_MESSAGE: ReportShortMessage(); break;
		case VX_ERR_NAN: CheckElement(NAN); break;
		default: CheckElement(INFINITY); break;
	}
	buf->cursor += (int)vx_vector_binary_size(dim);
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_send);
Datum
vector_send(PG_FUNCTION_ARGS)
{
	VectorView v = PG_GETARG_VECTOR_VIEW(0);
	size_t size = vx_vector_binary_size(v.dim);
	bytea *result = (bytea *)palloc(VARHDRSZ + size);

	SET_VARSIZE(result, VARHDRSZ + size);
	vx_vector_binary_encode(v.x, v.dim, (uint8 *)VARDATA(result));
	PG_RETURN_BYTEA_P(result);
}

/*
 * Cast vector to vector(n): enforce the type modifier.
 */
PG_FUNCTION_INFO_V1(vector);
Datum
vector(PG_FUNCTION_ARGS)
{
	Vector *v = PG_GETARG_VECTOR_P(0);

	CheckExpectedDim(PG_GETARG_INT32(1), v->dim);
	PG_RETURN_VECTOR_P(v);
}

/*
 * Cast integer[], real[], double precision[] or numeric[] to vector.
 */
PG_FUNCTION_INFO_V1(array_to_vector);
Datum
array_to_vector(PG_FUNCTION_ARGS)
{
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(0);
	int32 typmod = PG_GETARG_INT32(1);
	Oid elemtype = ARR_ELEMTYPE(array);
	int16 typlen;
	bool typbyval;
	char typalign;
	Datum *elems;
	bool *nulls;
	int n;
	Vector *result;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("array must be 1-D")));
	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("array must not contain nulls")));

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign, &elems, &nulls, &n);
	CheckDim(n);
	CheckExpectedDim(typmod, n);

	result = InitVector(n);
	for (int i = 0; i < n; i++)
	{
		switch (elemtype)
		{
			case INT4OID: result->x[i] = (float)DatumGetInt32(elems[i]); break;
			case FLOAT8OID:
			{
				/*
				 * Too large for float4 is out of range, as float8 -> real;
				 * too small rounds to zero, as in text input and pgvector.
				 */
				float8 d = DatumGetFloat8(elems[i]);

				result->x[i] = (float)d;
				if (isinf(result->x[i]) && !isinf(d))
					float_overflow_error();
				break;
			}
			case FLOAT4OID: result->x[i] = DatumGetFloat4(elems[i]); break;
			case NUMERICOID:
				result->x[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4, elems[i]));
				break;
			default:
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("unsupported array type %s", format_type_be(elemtype))));
		}
		CheckElement(result->x[i]);
	}
	PG_RETURN_VECTOR_P(result);
}

/*
 * Cast vector to real[].
 */
PG_FUNCTION_INFO_V1(vector_to_float4);
Datum
vector_to_float4(PG_FUNCTION_ARGS)
{
	VectorView v = PG_GETARG_VECTOR_VIEW(0);
	Datum *datums = (Datum *)palloc(sizeof(Datum) * v.dim);

	for (int i = 0; i < v.dim; i++)
		datums[i] = Float4GetDatum(v.x[i]);
	PG_RETURN_POINTER(
	    construct_array(datums, v.dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
}

/* ---- distances --------------------------------------------------------- */

PG_FUNCTION_INFO_V1(l2_distance);
Datum
l2_distance(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);

	CheckVectorDims(a.dim, b.dim);
	PG_RETURN_FLOAT8(sqrt((double)vx_l2_squared(a.x, b.x, a.dim)));
}

PG_FUNCTION_INFO_V1(vector_l2_squared_distance);
Datum
vector_l2_squared_distance(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);

	CheckVectorDims(a.dim, b.dim);
	PG_RETURN_FLOAT8((double)vx_l2_squared(a.x, b.x, a.dim));
}

PG_FUNCTION_INFO_V1(inner_product);
Datum
inner_product(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);

	CheckVectorDims(a.dim, b.dim);
	PG_RETURN_FLOAT8((double)vx_inner_product(a.x, b.x, a.dim));
}

PG_FUNCTION_INFO_V1(vector_negative_inner_product);
Datum
vector_negative_inner_product(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);

	CheckVectorDims(a.dim, b.dim);
	PG_RETURN_FLOAT8(-(double)vx_inner_product(a.x, b.x, a.dim));
}

PG_FUNCTION_INFO_V1(cosine_distance);
Datum
cosine_distance(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);

	CheckVectorDims(a.dim, b.dim);
	PG_RETURN_FLOAT8(vx_cosine_distance(a.x, b.x, a.dim));
}

PG_FUNCTION_INFO_V1(l1_distance);
Datum
l1_distance(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);

	CheckVectorDims(a.dim, b.dim);
	PG_RETURN_FLOAT8((double)vx_l1(a.x, b.x, a.dim));
}

PG_FUNCTION_INFO_V1(vector_dims);
Datum
vector_dims(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_VECTOR_VIEW(0).dim);
}

PG_FUNCTION_INFO_V1(vector_norm);
Datum
vector_norm(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	double norm = 0.0;

	/* double accumulation, as pgvector, so large elements do not overflow */
	for (int i = 0; i < a.dim; i++)
		norm += (double)a.x[i] * (double)a.x[i];
	PG_RETURN_FLOAT8(sqrt(norm));
}

PG_FUNCTION_INFO_V1(l2_normalize);
Datum
l2_normalize(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	Vector *result = InitVector(a.dim);
	double norm = 0.0;

	for (int i = 0; i < a.dim; i++)
		norm += (double)a.x[i] * (double)a.x[i];
	norm = sqrt(norm);

	/* a zero vector stays zero */
	if (norm > 0)
	{
		for (int i = 0; i < a.dim; i++)
			result->x[i] = (float)(a.x[i] / norm);
		for (int i = 0; i < a.dim; i++)
			if (isinf(result->x[i]))
				float_overflow_error();
	}
	PG_RETURN_VECTOR_P(result);
}

/*
 * subvector(v, start, count): count elements from 1-based position start.
 */
PG_FUNCTION_INFO_V1(subvector);
Datum
subvector(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	int32 start = PG_GETARG_INT32(1);
	int32 count = PG_GETARG_INT32(2);
	int32 end;
	Vector *result;

	if (count < 1)
		CheckDim(0);

	/* positions before 1 count against count, like substring */
	if (pg_add_s32_overflow(start, count, &end))
		end = PG_INT32_MAX;
	if (start < 1)
		start = 1;
	else if (start > a.dim)
		CheckDim(0);
	if (end > a.dim + 1)
		end = a.dim + 1;
	if (end <= start)
		CheckDim(0);

	result = InitVector(end - start);
	memcpy(result->x, a.x + (start - 1), sizeof(float) * (end - start));
	PG_RETURN_VECTOR_P(result);
}

/* ---- arithmetic -------------------------------------------------------- */

static inline void
CheckOverflow(const Vector *v)
{
	for (int i = 0; i < v->dim; i++)
		if (isinf(v->x[i]))
			float_overflow_error();
}

PG_FUNCTION_INFO_V1(vector_add);
Datum
vector_add(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);
	Vector *result;

	CheckVectorDims(a.dim, b.dim);
	result = InitVector(a.dim);
	for (int i = 0; i < a.dim; i++)
		result->x[i] = a.x[i] + b.x[i];
	CheckOverflow(result);
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_sub);
Datum
vector_sub(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);
	Vector *result;

	CheckVectorDims(a.dim, b.dim);
	result = InitVector(a.dim);
	for (int i = 0; i < a.dim; i++)
		result->x[i] = a.x[i] - b.x[i];
	CheckOverflow(result);
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_mul);
Datum
vector_mul(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);
	Vector *result;

	CheckVectorDims(a.dim, b.dim);
	result = InitVector(a.dim);
	for (int i = 0; i < a.dim; i++)
		result->x[i] = a.x[i] * b.x[i];
	CheckOverflow(result);
	for (int i = 0; i < a.dim; i++)
		if (result->x[i] == 0 && !(a.x[i] == 0 || b.x[i] == 0))
			float_underflow_error();
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_concat);
Datum
vector_concat(PG_FUNCTION_ARGS)
{
	VectorView a = PG_GETARG_VECTOR_VIEW(0);
	VectorView b = PG_GETARG_VECTOR_VIEW(1);
	Vector *result;

	CheckDim(a.dim + b.dim);
	result = InitVector(a.dim + b.dim);
	memcpy(result->x, a.x, sizeof(float) * a.dim);
	memcpy(result->x + a.dim, b.x, sizeof(float) * b.dim);
	PG_RETURN_VECTOR_P(result);
}

/* ---- comparison (btree) ------------------------------------------------ */

/*
 * Elements first, then dimensions, consistent with PostgreSQL arrays.
 */
static int
vector_cmp_internal(VectorView a, VectorView b)
{
	int dim = Min(a.dim, b.dim);

	for (int i = 0; i < dim; i++)
	{
		if (a.x[i] < b.x[i])
			return -1;
		if (a.x[i] > b.x[i])
			return 1;
	}
	if (a.dim < b.dim)
		return -1;
	if (a.dim > b.dim)
		return 1;
	return 0;
}

#define VECTOR_CMP_FUNCTION(name, expr)                                                            \
	PG_FUNCTION_INFO_V1(name);                                                                     \
	Datum name(PG_FUNCTION_ARGS)                                                                   \
	{                                                                                              \
		int cmp = vector_cmp_internal(PG_GETARG_VECTOR_VIEW(0), PG_GETARG_VECTOR_VIEW(1));         \
		expr;                                                                                      \
	}

VECTOR_CMP_FUNCTION(vector_lt, PG_RETURN_BOOL(cmp < 0))
VECTOR_CMP_FUNCTION(vector_le, PG_RETURN_BOOL(cmp <= 0))
VECTOR_CMP_FUNCTION(vector_eq, PG_RETURN_BOOL(cmp == 0))
VECTOR_CMP_FUNCTION(vector_ne, PG_RETURN_BOOL(cmp != 0))
VECTOR_CMP_FUNCTION(vector_ge, PG_RETURN_BOOL(cmp >= 0))
VECTOR_CMP_FUNCTION(vector_gt, PG_RETURN_BOOL(cmp > 0))
VECTOR_CMP_FUNCTION(vector_cmp, PG_RETURN_INT32(cmp))

/* ---- aggregates -------------------------------------------------------- */

/*
 * The avg state is float8[]: { count, sum_1, ..., sum_dim }.  A fresh state
 * is '{0}'.  float8 sums keep precision and cannot overflow from float4
 * inputs in any realistic row count; we still check.
 */
static float8 *
CheckStateArray(ArrayType *statearray, const char *caller)
{
	if (ARR_NDIM(statearray) != 1 || ARR_DIMS(statearray)[0] < 1 || ARR_HASNULL(statearray) ||
	    ARR_ELEMTYPE(statearray) != FLOAT8OID)
		elog(ERROR, "%s: expected state array", caller);
	return (float8 *)ARR_DATA_PTR(statearray);
}

static ArrayType *
MakeStateArray(int dim)
{
	Datum *datums = (Datum *)palloc(sizeof(Datum) * (dim + 1));

	for (int i = 0; i <= dim; i++)
		datums[i] = Float8GetDatum(0.0);
	return construct_array(datums, dim + 1, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
	                       TYPALIGN_DOUBLE);
}

PG_FUNCTION_INFO_V1(vector_accum);
Datum
vector_accum(PG_FUNCTION_ARGS)
{
	ArrayType *statearray = PG_GETARG_ARRAYTYPE_P(0);
	VectorView v = PG_GETARG_VECTOR_VIEW(1);
	float8 *state = CheckStateArray(statearray, "vector_accum");
	int statedim = ARR_DIMS(statearray)[0] - 1;
	float8 *sums;

	if (state[0] == 0.0 && statedim != v.dim)
	{
		/* first row: size the state for this vector */
		statearray = MakeStateArray(v.dim);
		state = (float8 *)ARR_DATA_PTR(statearray);
	}
	else
	{
		CheckVectorDims(statedim, v.dim);
		/* as an aggregate's transition we may update the state in place */
		if (!AggCheckCallContext(fcinfo, NULL))
		{
			statearray = DatumGetArrayTypePCopy(PG_GETARG_DATUM(0));
			state = (float8 *)ARR_DATA_PTR(statearray);
		}
	}

	state[0] += 1.0;
	sums = state + 1;
	for (int i = 0; i < v.dim; i++)
	{
		sums[i] += (double)v.x[i];
		if (isinf(sums[i]))
			float_overflow_error();
	}
	PG_RETURN_ARRAYTYPE_P(statearray);
}

PG_FUNCTION_INFO_V1(vector_combine);
Datum
vector_combine(PG_FUNCTION_ARGS)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType *b = PG_GETARG_ARRAYTYPE_P(1);
	float8 *sa = CheckStateArray(a, "vector_combine");
	float8 *sb = CheckStateArray(b, "vector_combine");
	int dima = ARR_DIMS(a)[0] - 1;
	int dimb = ARR_DIMS(b)[0] - 1;
	ArrayType *result;
	float8 *sr;

	if (sb[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(DatumGetArrayTypePCopy(PG_GETARG_DATUM(0)));
	if (sa[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(DatumGetArrayTypePCopy(PG_GETARG_DATUM(1)));
	CheckVectorDims(dima, dimb);

	result = MakeStateArray(dima);
	sr = (float8 *)ARR_DATA_PTR(result);
	for (int i = 0; i <= dima; i++)
	{
		sr[i] = sa[i] + sb[i];
		if (isinf(sr[i]))
			float_overflow_error();
	}
	PG_RETURN_ARRAYTYPE_P(result);
}

PG_FUNCTION_INFO_V1(vector_avg);
Datum
vector_avg(PG_FUNCTION_ARGS)
{
	ArrayType *statearray = PG_GETARG_ARRAYTYPE_P(0);
	float8 *state = CheckStateArray(statearray, "vector_avg");
	int dim = ARR_DIMS(statearray)[0] - 1;
	Vector *result;

	/* no rows: NULL, like avg() of any type */
	if (state[0] == 0.0)
		PG_RETURN_NULL();
	CheckDim(dim);

	result = InitVector(dim);
	for (int i = 0; i < dim; i++)
		result->x[i] = (float)(state[i + 1] / state[0]);
	CheckOverflow(result);
	PG_RETURN_VECTOR_P(result);
}
