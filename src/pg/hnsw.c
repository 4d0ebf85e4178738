/*
 * hnsw.c: the hnsw access method's handler, options, settings, cost
 * estimate, validation and properties.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/amapi.h"
#include "access/reloptions.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/selfuncs.h"
#include "utils/spccache.h"
#include "utils/catcache.h"
#include "utils/syscache.h"

#include "hnsw.h"

int hnsw_ef_search = HNSW_DEFAULT_EF_SEARCH;
int hnsw_iterative_scan = HNSW_ITERATIVE_SCAN_OFF;
int hnsw_max_scan_tuples = 20000;
double hnsw_scan_mem_multiplier = 1.0;

static relopt_kind hnsw_relopt_kind;

static const struct config_enum_entry hnsw_iterative_scan_options[] = {
    {"off", HNSW_ITERATIVE_SCAN_OFF, false},
    {"relaxed_order", HNSW_ITERATIVE_SCAN_RELAXED, false},
    {"strict_order", HNSW_ITERATIVE_SCAN_STRICT, false},
    {NULL, 0, false}};

/*
 * Register the reloptions and settings; called once from _PG_init.
 */
void
HnswInitGucs(void)
{
	hnsw_relopt_kind = add_reloption_kind();
	add_int_reloption(hnsw_relopt_kind, "m", "Max number of connections", HNSW_DEFAULT_M,
	                  HNSW_MIN_M, HNSW_MAX_M, AccessExclusiveLock);
	add_int_reloption(hnsw_relopt_kind, "ef_construction",
	                  "Size of the dynamic candidate list for construction",
	                  HNSW_DEFAULT_EF_CONSTRUCTION, HNSW_MIN_EF_CONSTRUCTION,
	                  HNSW_MAX_EF_CONSTRUCTION, AccessExclusiveLock);

	DefineCustomIntVariable(
	    "hnsw.ef_search", "Sets the size of the dynamic candidate list for search",
	    "Valid range is 1..1000.", &hnsw_ef_search, HNSW_DEFAULT_EF_SEARCH, HNSW_MIN_EF_SEARCH,
	    HNSW_MAX_EF_SEARCH, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("hnsw.iterative_scan", "Sets the mode for iterative scans", NULL,
	                         &hnsw_iterative_scan, HNSW_ITERATIVE_SCAN_OFF,
	                         hnsw_iterative_scan_options, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable(
	    "hnsw.max_scan_tuples", "Sets the max number of tuples to visit for iterative scans", NULL,
	    &hnsw_max_scan_tuples, 20000, 1, INT_MAX, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable(
	    "hnsw.scan_mem_multiplier", "Sets the multiple of work_mem to use for iterative scans",
	    NULL, &hnsw_scan_mem_multiplier, 1, 1, 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("hnsw");
}

/*
 * Parse and validate the reloptions.
 */
bytea *
hnswoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
	    {"m", RELOPT_TYPE_INT, offsetof(HnswOptions, m)},
	    {"ef_construction", RELOPT_TYPE_INT, offsetof(HnswOptions, efConstruction)},
	};

	return (bytea *)build_reloptions(reloptions, validate, hnsw_relopt_kind, sizeof(HnswOptions),
	                                 tab, lengthof(tab));
}

int
HnswGetM(Relation index)
{
	HnswOptions *opts = (HnswOptions *)index->rd_options;

	return opts ? opts->m : HNSW_DEFAULT_M;
}

int
HnswGetEfConstruction(Relation index)
{
	HnswOptions *opts = (HnswOptions *)index->rd_options;

	return opts ? opts->efConstruction : HNSW_DEFAULT_EF_CONSTRUCTION;
}

extern Datum vector_l2_squared_distance(PG_FUNCTION_ARGS);
extern Datum vector_negative_inner_product(PG_FUNCTION_ARGS);
extern Datum l1_distance(PG_FUNCTION_ARGS);

/*
 * The metric of the index's operator class, from its distance support
 * function (and whether it normalises).
 */
int
HnswMetricFor(Relation index)
{
	FmgrInfo *proc = index_getprocinfo(index, 1, HNSW_DISTANCE_PROC);

	if (proc->fn_addr == vector_l2_squared_distance)
		return VX_METRIC_L2;
	if (proc->fn_addr == l1_distance)
		return VX_METRIC_L1;
	if (proc->fn_addr == vector_negative_inner_product)
		return OidIsValid(index_getprocid(index, 1, HNSW_NORM_PROC)) ? VX_METRIC_COSINE
		                                                             : VX_METRIC_IP;
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
	                errmsg("operator class of index \"%s\" has an unsupported distance function",
	                       RelationGetRelationName(index))));
	return VX_METRIC_L2;
}

/*
 * Cost.  An hnsw scan does all its work before returning the first tuple:
 * it computes the distance to about ef_search * m elements, each on a
 * (usually cached) page, after a descent through a few upper-level pages.
 * Charging each visited element like a tuple of a sequential scan, rather
 * than like a random page read, keeps the estimate in proportion to the
 * sequential scan it competes with: charged as random reads, the visited
 * pages of a wide index made the planner prefer a sequential scan hundreds
 * of times slower.  Without an ORDER BY on a distance operator the index
 * cannot help at all.
 */
static void
hnswcostestimate(PlannerInfo *root, IndexPath *path, double loop_count, Cost *indexStartupCost,
                 Cost *indexTotalCost, Selectivity *indexSelectivity, double *indexCorrelation,
                 double *indexPages)
{
	GenericCosts costs;
	int m;
	double tuples;
	double visited;
	double levels;
	Relation index;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = get_float8_infinity();
		*indexTotalCost = get_float8_infinity();
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	index = index_open(path->indexinfo->indexoid, NoLock);
	m = HnswGetM(index);
	index_close(index, NoLock);

	tuples = Max(path->indexinfo->tuples, 1);
	visited = Min(tuples, (double)hnsw_ef_search * m);
	levels = 1 + log(tuples) / log(Max(m, 2));

	MemSet(&costs, 0, sizeof(costs));
	costs.numIndexTuples = visited;
	genericcostestimate(root, path, loop_count, &costs);

	costs.indexTotalCost = levels * random_page_cost +
	                       visited * (cpu_tuple_cost + cpu_index_tuple_cost + cpu_operator_cost);
	*indexStartupCost = costs.indexTotalCost;
	*indexTotalCost = costs.indexTotalCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = costs.numIndexPages;
}

/*
 * amvalidate: an operator class needs the distance support function (1),
 * optionally the norm (2), and one ordering operator at strategy 1.
 */
static bool
hnswvalidate(Oid opclassoid)
{
	HeapTuple classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	Form_pg_opclass classform;
	CatCList *procs;
	CatCList *ops;
	bool result = true;
	bool hasDistance = false;
	char *name;

	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	classform = (Form_pg_opclass)GETSTRUCT(classtup);
	name = NameStr(classform->opcname);

	procs = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(classform->opcfamily));
	for (int i = 0; i < procs->n_members; i++)
	{
		Form_pg_amproc proc = (Form_pg_amproc)GETSTRUCT(&procs->members[i]->tuple);

		if (proc->amprocnum == HNSW_DISTANCE_PROC)
			hasDistance = true;
		else if (proc->amprocnum != HNSW_NORM_PROC)
		{
			ereport(INFO,
			        (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			         errmsg("hnsw operator class \"%s\" has invalid support function number %d",
			                name, proc->amprocnum)));
			result = false;
		}
	}
	if (!hasDistance)
	{
		ereport(INFO,
		        (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
		         errmsg("hnsw operator class \"%s\" lacks the distance support function", name)));
		result = false;
	}

	ops = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(classform->opcfamily));
	for (int i = 0; i < ops->n_members; i++)
	{
		Form_pg_amop op = (Form_pg_amop)GETSTRUCT(&ops->members[i]->tuple);

		if (op->amopstrategy != 1 || op->amoppurpose != AMOP_ORDER)
		{
			ereport(INFO,
			        (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			         errmsg("hnsw operator class \"%s\" has an operator that is not an ordering "
			                "operator at strategy 1",
			                name)));
			result = false;
		}
	}

	ReleaseCatCacheList(ops);
	ReleaseCatCacheList(procs);
	ReleaseSysCache(classtup);
	return result;
}

static bool
hnswproperty(Oid index_oid, int attno, IndexAMProperty prop, const char *propname, bool *res,
             bool *isnull)
{
	if (attno > 0 && prop == AMPROP_DISTANCE_ORDERABLE)
	{
		*res = true;
		*isnull = false;
		return true;
	}
	return false;
}

static char *
hnswbuildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE: return "initializing";
		case PROGRESS_HNSW_PHASE_LOAD: return "loading tuples";
		case PROGRESS_HNSW_PHASE_LINK: return "linking graph";
		case PROGRESS_HNSW_PHASE_WRITE: return "writing pages";
		default: return NULL;
	}
}

PG_FUNCTION_INFO_V1(hnswhandler);
Datum
hnswhandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = 0;
	amroutine->amsupport = 2;
	amroutine->amoptsprocnum = 0;
	amroutine->amcanorder = false;
	amroutine->amcanorderbyop = true;
	amroutine->amcanbackward = false;
	amroutine->amcanunique = false;
	amroutine->amcanmulticol = false;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = false;
	amroutine->amsearchnulls = false;
	amroutine->amstorage = false;
	amroutine->amclusterable = false;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = false;
	amroutine->amcaninclude = false;
	amroutine->amusemaintenanceworkmem = false;
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	amroutine->amkeytype = InvalidOid;

	amroutine->ambuild = hnswbuild;
	amroutine->ambuildempty = hnswbuildempty;
	amroutine->aminsert = hnswinsert;
	amroutine->ambulkdelete = hnswbulkdelete;
	amroutine->amvacuumcleanup = hnswvacuumcleanup;
	amroutine->amcanreturn = NULL;
	amroutine->amcostestimate = hnswcostestimate;
	amroutine->amoptions = hnswoptions;
	amroutine->amproperty = hnswproperty;
	amroutine->ambuildphasename = hnswbuildphasename;
	amroutine->amvalidate = hnswvalidate;
	amroutine->amadjustmembers = NULL;
	amroutine->ambeginscan = hnswbeginscan;
	amroutine->amrescan = hnswrescan;
	amroutine->amgettuple = hnswgettuple;
	amroutine->amgetbitmap = NULL;
	amroutine->amendscan = hnswendscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;

	PG_RETURN_POINTER(amroutine);
}

void _PG_init(void);

/*
 * Module load: register the index options and settings.
 */
void
_PG_init(void)
{
	HnswInitGucs();
}
