/*
 * hnswvacuum.c: removing dead rows from an hnsw index.
 *
 * ambulkdelete works in three passes over the index, each page changed under
 * its own Generic WAL record:
 *
 *   1. mark DEAD every live element whose heap row the callback reports dead
 *      (DEAD elements are still traversed, never returned);
 *   2. if the entry point died, move it to the highest live element; then
 *      repair every live element that links to a DEAD one: the core searches
 *      for new neighbours from the entry point, skipping DEAD nodes, the
 *      element's lists are replaced, and its new neighbours link back to it
 *      (as after an insertion) so that it stays reachable;
 *   3. mark the DEAD elements FREE and empty their neighbour lists; a later
 *      insert reuses the slot, and the insert hint moves back to the first
 *      page with a freed slot.
 *
 * Passes 2 and 3 run under the update lock in exclusive mode (see hnsw.h), so
 * no insert can link to a dead element between its repair and its freeing.
 * It may be called several times in one VACUUM; each call handles the rows it
 * is given.  DEAD elements left by an interrupted VACUUM are picked up by the
 * next one.  Inserts that run between passes 1 and 2 may link to a DEAD
 * element; pass 2 repairs those links.  None can be made during passes 2 and
 * 3, which hold the update lock exclusively, so no live element links to a
 * slot that is freed and later reused by another node.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

typedef struct HnswVacuumState
{
	IndexVacuumInfo *vinfo;
	Relation index;
	HnswIndexInfo info;
	VxNodeId *dead; /* sorted */
	int ndead;
	int deadcap;
	VxNodeId bestLive; /* highest live element, for a new entry point */
	int bestLiveLevel;
	BlockNumber firstFree;
} HnswVacuumState;

static int
HnswCompareNodeIds(const void *a, const void *b)
{
	VxNodeId x = *(const VxNodeId *)a;
	VxNodeId y = *(const VxNodeId *)b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static bool
HnswIsDead(HnswVacuumState *vs, VxNodeId id)
{
	return bsearch(&id, vs->dead, vs->ndead, sizeof(VxNodeId), HnswCompareNodeIds) != NULL;
}

static void
HnswRememberDead(HnswVacuumState *vs, VxNodeId id)
{
	if (vs->ndead == vs->deadcap)
	{
		/* ndead is an int for the core; doubling past INT_MAX would overflow */
		if (vs->deadcap > INT_MAX / 2)
			ereport(ERROR,
			        (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			         errmsg("too many dead elements in hnsw index \"%s\" for one vacuum pass",
			                RelationGetRelationName(vs->index))));
		vs->deadcap *= 2;
		vs->dead = repalloc_huge(vs->dead, sizeof(VxNodeId) * vs->deadcap);
	}
	vs->dead[vs->ndead++] = id;
}

/*
 * Block blkno for one of the passes, read with VACUUM's buffer strategy,
 * locked in mode and checked.
 */
static Buffer
HnswVacuumPage(HnswVacuumState *vs, BlockNumber blkno, int mode, Page *page)
{
	Buffer buf;

	vacuum_delay_point();
	buf = ReadBufferExtended(vs->index, MAIN_FORKNUM, blkno, RBM_NORMAL, vs->vinfo->strategy);
	LockBuffer(buf, mode);
	*page = BufferGetPage(buf);
	HnswCheckPage(vs->index, *page, blkno);
	return buf;
}

/*
 * The element at off of an exclusively locked page, to be changed: on the
 * page copy of the page's Generic WAL record, which the first change starts.
 */
static HnswElementTuple
HnswVacuumEditElement(HnswVacuumState *vs, Buffer buf, GenericXLogState **state, Page *page,
                      OffsetNumber off)
{
	if (*state == NULL)
	{
		*state = GenericXLogStart(vs->index);
		*page = GenericXLogRegisterBuffer(*state, buf, 0);
	}
	return (HnswElementTuple)PageGetItem(*page, PageGetItemId(*page, off));
}

/*
 * Pass 1: mark elements of dead rows DEAD.
 */
static void
HnswMarkDead(HnswVacuumState *vs, IndexBulkDeleteResult *stats, IndexBulkDeleteCallback callback,
             void *callback_state)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(vs->index);

	for (BlockNumber blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Page page;
		Buffer buf = HnswVacuumPage(vs, blkno, BUFFER_LOCK_EXCLUSIVE, &page);
		GenericXLogState *state = NULL;
		OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off))
		{
			HnswElementTuple etup = HnswPageElement(vs->index, page, blkno, off, vs->info.dim);
			VxNodeId id = HnswNodeId(blkno, off);

			if (etup == NULL)
				continue;
			if (etup->state == HNSW_ELEMENT_DEAD)
			{
				HnswRememberDead(vs, id);
				continue;
			}
			if (etup->state != HNSW_ELEMENT_LIVE)
				continue;
			if (callback(&etup->heaptid, callback_state))
			{
				etup = HnswVacuumEditElement(vs, buf, &state, &page, off);
				etup->state = HNSW_ELEMENT_DEAD;
				HnswRememberDead(vs, id);
				stats->tuples_removed++;
			}
			else
			{
				stats->num_index_tuples++;
				if (etup->level > vs->bestLiveLevel)
				{
					vs->bestLive = id;
					vs->bestLiveLevel = etup->level;
				}
			}
		}
		if (state != NULL)
			GenericXLogFinish(state);
		UnlockReleaseBuffer(buf);
	}
	/* block then offset order is node id order, but sort anyway for bsearch */
	qsort(vs->dead, vs->ndead, sizeof(VxNodeId), HnswCompareNodeIds);
}

/*
 * Whether the neighbour tuple at ntid, on a locked page, links to a DEAD
 * element.
 */
static bool
HnswLinksToDead(HnswVacuumState *vs, Page page, ItemPointer ntid)
{
	HnswNeighborTuple ntup = HnswNeighborsOnPage(vs->index, page, ntid);

	for (int i = 0; i < ntup->count; i++)
		if (HnswSlotIsValid(ntup->slots[i], vs->info.slotBits) &&
		    HnswIsDead(vs, HnswSlotNodeId(ntup->slots[i], vs->info.slotBits)))
			return true;
	return false;
}

/*
 * Pass 2: repair the lists of live elements that link to DEAD ones.
 */
static void
HnswRepair(HnswVacuumState *vs)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(vs->index);
	int m = vs->info.m;
	int dim = vs->info.dim;
	/* at most this many elements fit a page */
	int perPage = (int)Min(MaxOffsetNumber, BLCKSZ / HNSW_ELEMENT_TUPLE_SIZE(dim) + 1);
	VxNodeId *ids = palloc(sizeof(VxNodeId) * perPage);
	float *vecs = palloc(sizeof(float) * dim * perPage);
	int *levels = palloc(sizeof(int) * perPage);
	bool *remote = palloc(sizeof(bool) * (perPage + 1));
	ItemPointerData *ntids = palloc(sizeof(ItemPointerData) * perPage);
	MemoryContext repairCxt =
	    AllocSetContextCreate(CurrentMemoryContext, "hnsw repair", ALLOCSET_DEFAULT_SIZES);
	VxHnswParams params;
	HnswGraphReader reader;

	params.dim = dim;
	params.m = m;
	params.ef_construction = vs->info.efConstruction;
	params.metric = vs->info.metric;
	HnswInitReader(&reader, vs->index, &vs->info);

	for (BlockNumber blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Page page;
		Buffer buf = HnswVacuumPage(vs, blkno, BUFFER_LOCK_SHARE, &page);
		OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
		int nrepair = 0;
		int kept;

		/* collect the live elements of this page that need repair */
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off))
		{
			HnswElementTuple etup = HnswPageElement(vs->index, page, blkno, off, dim);
			bool needs = false;

			if (etup == NULL || etup->state != HNSW_ELEMENT_LIVE)
				continue;

			/* lists on another page are checked once this page is unlocked */
			remote[nrepair] = ItemPointerGetBlockNumber(&etup->neighbortid) != blkno;
			needs = remote[nrepair] || HnswLinksToDead(vs, page, &etup->neighbortid);

			if (needs && nrepair < perPage)
			{
				HnswCopyVector(vs->index, NULL, blkno, etup, dim, vecs + (size_t)nrepair * dim);
				ids[nrepair] = HnswNodeId(blkno, off);
				ntids[nrepair] = etup->neighbortid;
				levels[nrepair] = etup->level;
				nrepair++;
			}
		}
		UnlockReleaseBuffer(buf);

		/* keep the remote candidates whose lists do link to DEAD elements */
		kept = 0;
		for (int i = 0; i < nrepair; i++)
		{
			if (remote[i])
			{
				Page npage;
				Buffer nbuf = HnswVacuumPage(vs, ItemPointerGetBlockNumber(&ntids[i]),
				                             BUFFER_LOCK_SHARE, &npage);
				bool dead = HnswLinksToDead(vs, npage, &ntids[i]);

				UnlockReleaseBuffer(nbuf);
				if (!dead)
					continue;
			}
			ids[kept] = ids[i];
			levels[kept] = levels[i];
			memmove(vecs + (size_t)kept * dim, vecs + (size_t)i * dim, sizeof(float) * dim);
			kept++;
		}
		nrepair = kept;

		for (int i = 0; i < nrepair; i++)
		{
			MemoryContext oldCxt = MemoryContextSwitchTo(repairCxt);
			VxInsertPlan **plan = HnswNewPlanHolder();
			VxError err;
			VxStatus status;

			status = vx_hnsw_plan_repair(&reader.cb, &params, ids[i], vecs + (size_t)i * dim,
			                             levels[i], vs->info.entry, vs->info.entryLevel, vs->dead,
			                             vs->ndead, plan, &err);
			HnswRethrowIfFailed(&reader, status, &err);
			HnswWriteOwnLists(vs->index, &vs->info, ids[i], *plan, levels[i]);
			HnswApplyBackLinks(vs->index, &vs->info, *plan, ids[i]);
			MemoryContextSwitchTo(oldCxt);
			MemoryContextReset(repairCxt);
		}
	}
	HnswReleaseReader(&reader);
	MemoryContextDelete(repairCxt);
}

/*
 * Pass 3: free the DEAD elements.
 */
static void
HnswFreeDead(HnswVacuumState *vs)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(vs->index);

	ItemPointerData *remote = palloc(sizeof(ItemPointerData) * MaxOffsetNumber);

	for (BlockNumber blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Page page;
		Buffer buf = HnswVacuumPage(vs, blkno, BUFFER_LOCK_EXCLUSIVE, &page);
		GenericXLogState *state = NULL;
		OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
		int nremote = 0;

		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off))
		{
			HnswElementTuple etup = HnswPageElement(vs->index, page, blkno, off, vs->info.dim);

			if (etup == NULL || etup->state != HNSW_ELEMENT_DEAD ||
			    !HnswIsDead(vs, HnswNodeId(blkno, off)))
				continue;
			etup = HnswVacuumEditElement(vs, buf, &state, &page, off);
			etup->state = HNSW_ELEMENT_FREE;
			ItemPointerSetInvalid(&etup->heaptid);
			/* nothing should be reached through a free slot */
			if (ItemPointerGetBlockNumber(&etup->neighbortid) == blkno)
				HnswClearNeighbors(HnswNeighborsOnPage(vs->index, page, &etup->neighbortid));
			else
				remote[nremote++] = etup->neighbortid;
			if (blkno < vs->firstFree)
				vs->firstFree = blkno;
		}
		if (state != NULL)
			GenericXLogFinish(state);
		UnlockReleaseBuffer(buf);

		/*
		 * Lists on other pages are emptied afterwards, each in its own record;
		 * an insert that reuses a free slot empties its list again, so a crash
		 * in between leaves nothing stale behind.
		 */
		for (int i = 0; i < nremote; i++)
			HnswClearRemoteNeighbors(vs->index, &remote[i]);
	}
}

/*
 * ambulkdelete
 */
IndexBulkDeleteResult *
hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
               IndexBulkDeleteCallback callback, void *callback_state)
{
	HnswVacuumState vs;

	if (stats == NULL)
		stats = (IndexBulkDeleteResult *)palloc0(sizeof(IndexBulkDeleteResult));

	memset(&vs, 0, sizeof(vs));
	vs.vinfo = info;
	vs.index = info->index;
	HnswReadMeta(vs.index, &vs.info);
	vs.deadcap = 1024;
	vs.dead = palloc(sizeof(VxNodeId) * vs.deadcap);
	vs.bestLive = VX_INVALID_NODE;
	vs.bestLiveLevel = -1;
	vs.firstFree = InvalidBlockNumber;

	HnswMarkDead(&vs, stats, callback, callback_state);
	if (vs.ndead > 0)
	{
		/* no insert may link to a dead element from here until it is freed */
		LockPage(vs.index, HNSW_UPDATE_LOCK, ExclusiveLock);
		HnswReadMeta(vs.index, &vs.info);
		if (vs.info.entry == VX_INVALID_NODE || HnswIsDead(&vs, vs.info.entry))
		{
			/* the highest live element becomes the entry point, or the graph is empty */
			HnswUpdateMeta(vs.index, vs.bestLive, vs.bestLiveLevel, false, InvalidBlockNumber,
			               true);
			vs.info.entry = vs.bestLive;
			vs.info.entryLevel = vs.bestLiveLevel;
		}
		if (vs.info.entry != VX_INVALID_NODE)
			HnswRepair(&vs);
		HnswFreeDead(&vs);
		if (BlockNumberIsValid(vs.firstFree))
			HnswLowerInsertPage(vs.index, vs.firstFree);
		UnlockPage(vs.index, HNSW_UPDATE_LOCK, ExclusiveLock);
	}
	stats->num_pages = RelationGetNumberOfBlocks(vs.index);
	pfree(vs.dead);
	return stats;
}

/*
 * amvacuumcleanup
 */
IndexBulkDeleteResult *
hnswvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;
	if (stats == NULL)
	{
		/* no bulkdelete pass ran: estimate from the heap */
		stats = (IndexBulkDeleteResult *)palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = info->num_heap_tuples;
		stats->estimated_count = info->estimated_count;
	}
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}
