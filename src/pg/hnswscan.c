/*
 * hnswscan.c: ordered scans of an hnsw index.
 *
 * The first amgettuple call asks the core for the ef_search nearest
 * elements (reading the graph through guarded callbacks) and returns their
 * heap TIDs nearest first, skipping elements whose rows VACUUM has reported
 * dead.  With hnsw.iterative_scan on, running out of candidates searches
 * again with twice the beam width, skipping what was already returned, until
 * the graph is exhausted or hnsw.max_scan_tuples (or the memory bound of
 * work_mem * hnsw.scan_mem_multiplier) is reached.  strict_order drops
 * candidates nearer than the last row returned, so rows come back in
 * ascending distance order; relaxed_order returns them anyway.  To lose
 * fewer rows that way, a strict scan hands out only the nearer half of each
 * batch until its search is final (the graph is exhausted or the limit
 * reached): the far end of a narrow beam is the least reliable part.
 *
 * When a widened search comes back with fewer nodes than its beam, it has
 * seen every node the graph can reach.  HNSW's pruning can leave a few live
 * nodes that no link leads to, so an iterative scan then sweeps the index
 * pages once for the live elements it has not returned, nearest first, and
 * ends after them: every indexed row can be reached by an iterative scan.
 *
 * Only MVCC snapshots are supported: the scan keeps no buffer pin between
 * calls, so a TID it returns may have been vacuumed and reused, which an MVCC
 * snapshot then sees as invisible.
 */
#include "postgres.h"

#include <float.h>

#include "access/relscan.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "hnsw.h"

typedef struct HnswScanOpaqueData
{
	MemoryContext scanCxt; /* reset by every rescan */
	HnswIndexInfo info;
	bool searched;
	float *query;
	VxCandidate *results;
	int nresults;
	int pos;
	int usable;     /* results[0..usable) may be returned now */
	bool final;     /* the search cannot widen any more */
	bool exhausted; /* the last search saw every reachable node */
	bool swept;     /* the pages were swept for unreachable nodes */
	int ef;
	int efLimit;
	HTAB *returned; /* node ids returned so far (iterative scans) */
	float lastDistance;
} HnswScanOpaqueData;

typedef HnswScanOpaqueData *HnswScanOpaque;

IndexScanDesc
hnswbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	HnswScanOpaque so = palloc0(sizeof(HnswScanOpaqueData));

	so->scanCxt = AllocSetContextCreate(CurrentMemoryContext, "hnsw scan", ALLOCSET_DEFAULT_SIZES);
	scan->opaque = so;
	return scan;
}

void
hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	HnswScanOpaque so = (HnswScanOpaque)scan->opaque;
	MemoryContext oldCxt;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));

	MemoryContextReset(so->scanCxt);
	oldCxt = MemoryContextSwitchTo(so->scanCxt);

	HnswReadMeta(scan->indexRelation, &so->info);
	so->searched = false;
	so->results = NULL;
	so->nresults = 0;
	so->usable = 0;
	so->exhausted = false;
	so->swept = false;
	so->pos = 0;
	so->returned = NULL;
	so->lastDistance = -FLT_MAX;
	so->query = palloc0(sizeof(float) * so->info.dim);
	/*
	 * ORDER BY v <-> NULL puts every row at a NULL distance; like pgvector,
	 * search from a zero vector then, which returns rows in graph order.  A
	 * zero query under cosine stays zero: every distance is equal.
	 */
	if (scan->numberOfOrderBys > 0 && !(scan->orderByData[0].sk_flags & SK_ISNULL))
		HnswPrepareVector(scan->indexRelation, so->info.metric, scan->orderByData[0].sk_argument,
		                  so->query, so->info.dim);
	MemoryContextSwitchTo(oldCxt);
}

/*
 * Largest beam an iterative scan may grow to: never past what the core
 * searches with (a wider beam would be refused with an error), however large
 * max_scan_tuples and the memory bound are.
 */
static int
HnswIterativeLimit(void)
{
	/* roughly 64 bytes per visited element: candidate, heap entries, visited set */
	double memLimit = (double)work_mem * 1024.0 * hnsw_scan_mem_multiplier / 64.0;
	double limit = Min(Min((double)hnsw_max_scan_tuples, memLimit), (double)VX_HNSW_MAX_EF);

	return (int)Max(limit, hnsw_ef_search);
}

/*
 * Run the search with the current beam width.
 */
static void
HnswSearch(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque)scan->opaque;
	MemoryContext oldCxt = MemoryContextSwitchTo(so->scanCxt);
	HnswGraphReader reader;
	VxHnswParams params;
	VxError err;
	VxStatus status;

	if (so->results != NULL)
		pfree(so->results);
	so->results = palloc(sizeof(VxCandidate) * so->ef);
	so->nresults = 0;
	so->pos = 0;
	if (so->info.entry != VX_INVALID_NODE)
	{
		params.dim = so->info.dim;
		params.m = so->info.m;
		params.ef_construction = so->info.efConstruction;
		params.metric = so->info.metric;
		HnswInitReader(&reader, scan->indexRelation, &so->info);
		status = vx_hnsw_search(&reader.cb, &params, so->query, so->info.entry, so->info.entryLevel,
		                        so->ef, so->results, &so->nresults, &err);
		HnswRethrowIfFailed(&reader, status, &err);
		HnswReleaseReader(&reader);
	}
	/* the search is final when it cannot usefully widen any more */
	so->exhausted = so->nresults < so->ef;
	so->final = hnsw_iterative_scan == HNSW_ITERATIVE_SCAN_OFF || so->nresults < so->ef ||
	            so->ef >= so->efLimit;
	so->usable = so->nresults;
	if (!so->final && hnsw_iterative_scan == HNSW_ITERATIVE_SCAN_STRICT)
		so->usable = so->nresults / 2;
	MemoryContextSwitchTo(oldCxt);
}

/*
 * The heap TID of a live element; false for dead or freed ones.
 */
static bool
HnswElementHeapTid(Relation index, VxNodeId node, int dim, ItemPointer heaptid)
{
	Buffer buf;
	HnswElementTuple etup = HnswLockElement(index, node, dim, BUFFER_LOCK_SHARE, &buf);
	bool live = etup->state == HNSW_ELEMENT_LIVE && ItemPointerIsValid(&etup->heaptid);

	if (live)
		*heaptid = etup->heaptid;
	UnlockReleaseBuffer(buf);
	return live;
}

static int
HnswCompareCandidates(const void *a, const void *b)
{
	float da = ((const VxCandidate *)a)->distance;
	float db = ((const VxCandidate *)b)->distance;

	return da < db ? -1 : (da > db ? 1 : 0);
}

/*
 * After the graph is exhausted: every live element not returned yet, by
 * distance, as the scan's last batch.
 */
static void
HnswSweep(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque)scan->opaque;
	Relation index = scan->indexRelation;
	MemoryContext oldCxt = MemoryContextSwitchTo(so->scanCxt);
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	int cap = 1024;
	int n = 0;
	VxCandidate *found = palloc(sizeof(VxCandidate) * cap);
	float *splitbuf = palloc(sizeof(float) * so->info.dim);

	for (BlockNumber blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer buf = ReadBuffer(index, blkno);
		Page page;
		OffsetNumber maxoff;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		HnswCheckPage(index, page, blkno);
		maxoff = PageIsNew(page) ? InvalidOffsetNumber : PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off))
		{
			HnswElementTuple etup = HnswPageElement(index, page, blkno, off, so->info.dim);
			VxNodeId id = HnswNodeId(blkno, off);
			bool returned;

			if (etup == NULL || etup->state != HNSW_ELEMENT_LIVE)
				continue;
			hash_search(so->returned, &id, HASH_FIND, &returned);
			if (returned)
				continue;
			if (n == cap)
			{
				cap *= 2;
				found = repalloc_huge(found, sizeof(VxCandidate) * cap);
			}
			found[n].id = id;
			found[n].distance = vx_hnsw_distance(
			    so->info.metric, so->query,
			    HnswElementVector(index, NULL, blkno, etup, so->info.dim, splitbuf), so->info.dim);
			n++;
		}
		UnlockReleaseBuffer(buf);
	}
	pfree(splitbuf);
	qsort(found, n, sizeof(VxCandidate), HnswCompareCandidates);

	if (so->results != NULL)
		pfree(so->results);
	so->results = found;
	so->nresults = so->usable = n;
	so->pos = 0;
	so->final = true;
	so->swept = true;
	MemoryContextSwitchTo(oldCxt);
}

bool
hnswgettuple(IndexScanDesc scan, ScanDirection dir)
{
	HnswScanOpaque so = (HnswScanOpaque)scan->opaque;
	bool iterative = hnsw_iterative_scan != HNSW_ITERATIVE_SCAN_OFF;

	if (!IsMVCCSnapshot(scan->xs_snapshot))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("non-MVCC snapshots are not supported with hnsw")));
	if (!so->searched)
	{
		so->ef = hnsw_ef_search;
		so->efLimit = HnswIterativeLimit();
		if (iterative)
		{
			HASHCTL ctl;

			ctl.keysize = sizeof(VxNodeId);
			ctl.entrysize = sizeof(VxNodeId);
			ctl.hcxt = so->scanCxt;
			so->returned =
			    hash_create("hnsw returned", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		HnswSearch(scan);
		so->searched = true;
	}

	for (;;)
	{
		while (so->pos < so->usable)
		{
			VxCandidate *c = &so->results[so->pos++];
			bool found = false;

			CHECK_FOR_INTERRUPTS();
			if (so->returned != NULL)
			{
				hash_search(so->returned, &c->id, HASH_FIND, &found);
				if (found)
					continue;
				if (hnsw_iterative_scan == HNSW_ITERATIVE_SCAN_STRICT &&
				    c->distance < so->lastDistance)
					continue;
			}
			if (!HnswElementHeapTid(scan->indexRelation, c->id, so->info.dim, &scan->xs_heaptid))
				continue;
			if (so->returned != NULL)
				hash_search(so->returned, &c->id, HASH_ENTER, &found);
			so->lastDistance = Max(so->lastDistance, c->distance);
			scan->xs_recheck = false;
			scan->xs_recheckorderby = false;
			return true;
		}

		/* out of candidates: widen the beam if allowed and useful */
		if (so->final)
		{
			if (!iterative || !so->exhausted || so->swept)
				return false;
			HnswSweep(scan);
			continue;
		}
		so->ef = (int)Min((int64)so->ef * 2, (int64)so->efLimit);
		HnswSearch(scan);
	}
}

void
hnswendscan(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque)scan->opaque;

	MemoryContextDelete(so->scanCxt);
	pfree(so);
	scan->opaque = NULL;
}
