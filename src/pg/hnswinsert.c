/*
 * hnswinsert.c: inserting one row into an existing hnsw index.
 *
 * An insert happens in steps, each a Generic WAL record on one page:
 *
 *   1. place the new element and an empty neighbour tuple, reusing a slot
 *      VACUUM freed or appending (the node exists but nothing links to it);
 *   2. ask the core for a plan: the node's neighbours on each level and the
 *      back-links of those neighbours, reading the graph through guarded
 *      callbacks (share locks, one page at a time);
 *   3. write the node's own neighbour lists;
 *   4. apply each back-link under an exclusive lock: if the neighbour's list
 *      is still the one the plan was based on it is replaced, otherwise the
 *      new node takes a free slot, or the link is skipped (a concurrent
 *      change won, which costs a little recall and never correctness);
 *   5. move the entry point up if the node is higher than it.
 *
 * A crash between steps leaves a valid graph: at worst a node that nothing
 * links to yet, or a neighbour tuple that nothing uses.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * Fill a fresh element tuple.
 */
static void
HnswFormElement(HnswElementTuple etup, const float *vec, int dim, int level, ItemPointer heaptid,
                int neighborLevels, ItemPointer neighbortid)
{
	etup->type = HNSW_ELEMENT_TUPLE;
	etup->level = (uint8)level;
	etup->state = HNSW_ELEMENT_LIVE;
	etup->neighborLevels = (uint8)neighborLevels;
	etup->heaptid = *heaptid;
	etup->neighbortid = *neighbortid;
	etup->headDim = (uint16)dim;
	etup->tailOffno = InvalidOffsetNumber;
	memcpy(etup->vec, vec, sizeof(float) * dim);
}

/*
 * Fill an empty neighbour tuple with room for `levels` levels.
 */
static void
HnswFormNeighbors(HnswNeighborTuple ntup, int m, int levels)
{
	ntup->type = HNSW_NEIGHBOR_TUPLE;
	ntup->levels = (uint8)levels;
	ntup->count = (uint16)HNSW_NEIGHBOR_SLOTS(m, levels);
	memset(ntup->slots, 0, sizeof(HnswSlot) * ntup->count);
}

/*
 * Look for a freed element on page blkno whose neighbour tuple has room for
 * `levels` levels; the smallest such fits best.  A candidate whose tuples on
 * this page are damaged is an ERROR: reusing it would write where its line
 * pointers say.  (A list on another page is checked when it is emptied.)
 */
static OffsetNumber
HnswFindFreeSlot(Relation index, Page page, BlockNumber blkno, int levels, int dim, int m)
{
	OffsetNumber best = InvalidOffsetNumber;
	int bestLevels = INT_MAX;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off))
	{
		HnswElementTuple etup = HnswPageElement(index, page, blkno, off, dim);

		if (etup == NULL || etup->state != HNSW_ELEMENT_FREE)
			continue;
		if (etup->neighborLevels >= levels && etup->neighborLevels < bestLevels)
		{
			if (ItemPointerGetBlockNumber(&etup->neighbortid) == blkno)
				HnswCheckNeighborCapacity(index, page, &etup->neighbortid, etup->neighborLevels, m);
			best = off;
			bestLevels = etup->neighborLevels;
			if (bestLevels == levels)
				break;
		}
	}
	return best;
}

/*
 * Overwrite the tail tuple at (blkno, offno) with the last count floats of a
 * vector, under its own Generic WAL record.  Called for a freed split
 * element before its head takes the new element: a crash in between leaves
 * the slot FREE.  The caller holds block blkno - 1 locked (forward order).
 */
static void
HnswWriteTail(Relation index, BlockNumber blkno, OffsetNumber offno, const float *vec, int count)
{
	Buffer buf;
	GenericXLogState *state;
	Page page;
	HnswTailTuple tail;

	if (blkno < RelationGetNumberOfBlocks(index))
	{
		buf = ReadBuffer(index, blkno);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		HnswCheckPage(index, page, blkno);
		tail = HnswTailOnPage(page, offno, count);
		if (tail != NULL)
		{
			memcpy(tail->vec, vec, sizeof(float) * count);
			GenericXLogFinish(state);
			UnlockReleaseBuffer(buf);
			return;
		}
		GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
	}
	ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
	                errmsg("index \"%s\" has a freed element whose tail (%u,%u) is missing",
	                       RelationGetRelationName(index), blkno, offno),
	                errhint("Please REINDEX it.")));
}

/*
 * Put the element (reusing a freed slot or adding items) on a locked page
 * registered in a Generic WAL record.  Returns false when it does not fit.
 */
static bool
HnswPlaceOnPage(Relation index, Page page, BlockNumber blkno, HnswElementTuple etup, Size esize,
                HnswNeighborTuple ntup, Size nsize, int dim, int m, ItemPointer elemtid,
                bool *remoteNeighbors)
{
	OffsetNumber free = HnswFindFreeSlot(index, page, blkno, ntup->levels, dim, m);
	OffsetNumber eoff;
	OffsetNumber noff;

	if (OffsetNumberIsValid(free))
	{
		/* both tuples were validated by HnswFindFreeSlot */
		HnswElementTuple old = (HnswElementTuple)PageGetItem(page, PageGetItemId(page, free));

		/* keep the old (perhaps larger) neighbour tuple, emptied */
		etup->neighborLevels = old->neighborLevels;
		etup->neighbortid = old->neighbortid;
		if (ItemPointerGetBlockNumber(&old->neighbortid) == blkno)
			HnswClearNeighbors(HnswNeighborsOnPage(index, page, &old->neighbortid));
		else
			*remoteNeighbors = true; /* the caller empties it on its page */
		/* and the old split of the vector */
		if (old->headDim < dim)
		{
			HnswWriteTail(index, blkno + 1, old->tailOffno, etup->vec + old->headDim,
			              dim - old->headDim);
			etup->headDim = old->headDim;
			etup->tailOffno = old->tailOffno;
		}
		memcpy(old, etup, HNSW_ELEMENT_TUPLE_SIZE(etup->headDim));
		ItemPointerSet(elemtid, blkno, free);
		return true;
	}

	if (PageGetExactFreeSpace(page) < esize + nsize + 2 * sizeof(ItemIdData))
		return false;
	noff = PageAddItem(page, (Item)ntup, nsize, InvalidOffsetNumber, false, false);
	if (!OffsetNumberIsValid(noff))
		elog(ERROR, "failed to add neighbour tuple to hnsw index page");
	ItemPointerSet(&etup->neighbortid, blkno, noff);
	eoff = PageAddItem(page, (Item)etup, esize, InvalidOffsetNumber, false, false);
	if (!OffsetNumberIsValid(eoff))
		elog(ERROR, "failed to add element tuple to hnsw index page");
	ItemPointerSet(elemtid, blkno, eoff);
	return true;
}

/*
 * Add one tuple alone to the first page with room at or after `start`, or a
 * new page.  Used when an element and its neighbour tuple cannot share a
 * page (very large vectors).
 */
static void
HnswAddTupleAnywhere(Relation index, int slotBits, BlockNumber start, Item tuple, Size size,
                     ItemPointer tid)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);

	for (BlockNumber blkno = start; blkno <= nblocks; blkno++)
	{
		bool isnew = blkno == nblocks;
		Buffer buf =
		    isnew ? HnswNewBuffer(index, MAIN_FORKNUM, slotBits) : ReadBuffer(index, blkno);
		GenericXLogState *state;
		Page page;
		OffsetNumber off;

		if (!isnew)
			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		blkno = BufferGetBlockNumber(buf);
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, isnew ? GENERIC_XLOG_FULL_IMAGE : 0);
		if (isnew)
			HnswInitPage(buf, page);
		else
			HnswCheckPage(index, page, blkno);

		if (PageGetFreeSpace(page) >= size)
		{
			off = PageAddItem(page, tuple, size, InvalidOffsetNumber, false, false);
			if (!OffsetNumberIsValid(off))
				elog(ERROR, "failed to add tuple to hnsw index page");
			ItemPointerSet(tid, blkno, off);
			GenericXLogFinish(state);
			UnlockReleaseBuffer(buf);
			return;
		}
		GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
	}
	elog(ERROR, "could not find room for a tuple in hnsw index \"%s\"",
	     RelationGetRelationName(index));
}

/*
 * Step 1: place a new element with empty neighbour lists; returns its tid.
 */
static void
HnswPlaceElement(Relation index, HnswIndexInfo *info, const float *vec, int level,
                 ItemPointer heaptid, ItemPointer elemtid)
{
	int levels = level + 1;
	Size esize = HNSW_ELEMENT_TUPLE_SIZE(info->dim);
	Size nsize = HNSW_NEIGHBOR_TUPLE_SIZE(info->m, levels);
	HnswElementTuple etup = palloc0(esize);
	HnswNeighborTuple ntup = palloc0(nsize);
	BlockNumber start = Max(info->insertPage, HNSW_METAPAGE_BLKNO + 1);
	Size nsize0 = HNSW_NEIGHBOR_TUPLE_SIZE(info->m, 1);
	BlockNumber nblocks;
	BlockNumber hint;
	ItemPointerData ntid;
	bool remoteNeighbors = false;

	ItemPointerSetInvalid(&ntid);
	HnswFormElement(etup, vec, info->dim, level, heaptid, levels, &ntid);
	HnswFormNeighbors(ntup, info->m, levels);

	if (esize + nsize + 2 * sizeof(ItemIdData) > HNSW_MAX_ITEM_SIZE)
	{
		/* too large to share a page: two items, two records */
		HnswAddTupleAnywhere(index, info->slotBits, start, (Item)ntup, nsize, &etup->neighbortid);
		HnswAddTupleAnywhere(index, info->slotBits, start, (Item)etup, esize, elemtid);
		return;
	}

	/* the first page that could still take a level-0 element: the next hint */
	hint = InvalidBlockNumber;
	nblocks = RelationGetNumberOfBlocks(index);
	for (BlockNumber blkno = start;; blkno++)
	{
		bool isnew = blkno >= nblocks;
		Buffer buf =
		    isnew ? HnswNewBuffer(index, MAIN_FORKNUM, info->slotBits) : ReadBuffer(index, blkno);
		GenericXLogState *state;
		Page page;

		if (!isnew)
		{
			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			page = BufferGetPage(buf);
			HnswCheckPage(index, page, blkno);
			/* look before paying for a WAL page copy */
			if (!OffsetNumberIsValid(
			        HnswFindFreeSlot(index, page, blkno, levels, info->dim, info->m)) &&
			    PageGetExactFreeSpace(page) < esize + nsize + 2 * sizeof(ItemIdData))
			{
				if (!BlockNumberIsValid(hint) &&
				    (OffsetNumberIsValid(
				         HnswFindFreeSlot(index, page, blkno, 1, info->dim, info->m)) ||
				     PageGetExactFreeSpace(page) >= esize + nsize0 + 2 * sizeof(ItemIdData)))
					hint = blkno;
				UnlockReleaseBuffer(buf);
				continue;
			}
		}
		blkno = BufferGetBlockNumber(buf);
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, isnew ? GENERIC_XLOG_FULL_IMAGE : 0);
		if (isnew)
			HnswInitPage(buf, page);

		if (HnswPlaceOnPage(index, page, blkno, etup, esize, ntup, nsize, info->dim, info->m,
		                    elemtid, &remoteNeighbors))
		{
			GenericXLogFinish(state);
			UnlockReleaseBuffer(buf);
			/* a reused slot's list on another page: nothing links to the node yet */
			if (remoteNeighbors)
				HnswClearRemoteNeighbors(index, &etup->neighbortid);
			/*
			 * Later inserts skip the pages before the hint: only pages that
			 * cannot take even a level-0 element.
			 */
			if (!BlockNumberIsValid(hint))
				hint = blkno;
			if (hint != info->insertPage)
				HnswUpdateMeta(index, VX_INVALID_NODE, 0, true, hint, true);
			return;
		}
		GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
		if (isnew)
			elog(ERROR, "hnsw element does not fit an empty page");
	}
}

/*
 * Lock the neighbour tuple of a node exclusively inside a Generic WAL record.
 * Its location does not change while the element exists.
 */
static HnswNeighborTuple
HnswLockNeighbors(Relation index, HnswIndexInfo *info, VxNodeId node, Buffer *bufOut,
                  GenericXLogState **stateOut, Page *pageOut)
{
	Buffer buf;
	HnswElementTuple etup = HnswLockElement(index, node, info->dim, BUFFER_LOCK_SHARE, &buf);
	ItemPointerData ntid = etup->neighbortid;
	Page page;

	UnlockReleaseBuffer(buf);
	if (ItemPointerGetBlockNumber(&ntid) == HNSW_METAPAGE_BLKNO ||
	    ItemPointerGetBlockNumber(&ntid) >= RelationGetNumberOfBlocks(index))
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" has a dangling neighbour list",
		                       RelationGetRelationName(index)),
		                errhint("Please REINDEX it.")));
	buf = ReadBuffer(index, ItemPointerGetBlockNumber(&ntid));
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	*stateOut = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(*stateOut, buf, 0);
	HnswCheckPage(index, page, BufferGetBlockNumber(buf));
	*bufOut = buf;
	*pageOut = page;
	return HnswNeighborsOnPage(index, page, &ntid);
}

/*
 * Replace a node's neighbour lists on levels 0..maxLevel with a plan's.
 */
void
HnswWriteOwnLists(Relation index, HnswIndexInfo *info, VxNodeId node, const VxInsertPlan *plan,
                  int maxLevel)
{
	Buffer buf;
	GenericXLogState *state;
	Page page;
	HnswNeighborTuple ntup = HnswLockNeighbors(index, info, node, &buf, &state, &page);

	for (int level = 0; level <= maxLevel && level < ntup->levels; level++)
	{
		const VxNodeId *ids;
		int n = vx_insert_plan_neighbors(plan, level, &ids);

		HnswSetLevelList(ntup, info->m, info->slotBits, level, ids,
		                 Min(n, HnswLevelSlots(info->m, level)));
	}
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/*
 * Apply one back-link of a plan: replace the list if it is still the one the
 * plan saw, else take a free slot for self, else leave it.
 */
static void
HnswApplyBackLink(Relation index, HnswIndexInfo *info, VxNodeId node, int level,
                  const VxNodeId *oldIds, int oldCount, const VxNodeId *newIds, int newCount,
                  VxNodeId self)
{
	Buffer buf;
	GenericXLogState *state;
	Page page;
	HnswNeighborTuple ntup = HnswLockNeighbors(index, info, node, &buf, &state, &page);
	VxNodeId current[2 * HNSW_MAX_M];
	int n = 0;
	bool changed = false;

	if (HnswLevelList(page, ntup, info->m, info->slotBits, level, current, &n))
	{
		if (n == oldCount && memcmp(current, oldIds, sizeof(VxNodeId) * n) == 0)
		{
			HnswSetLevelList(ntup, info->m, info->slotBits, level, newIds,
			                 Min(newCount, HnswLevelSlots(info->m, level)));
			changed = true;
		}
		else if (n < HnswLevelSlots(info->m, level))
		{
			bool present = false;

			for (int i = 0; i < n; i++)
				present |= current[i] == self;
			if (!present)
			{
				current[n++] = self;
				HnswSetLevelList(ntup, info->m, info->slotBits, level, current, n);
				changed = true;
			}
		}
	}
	if (changed)
		GenericXLogFinish(state);
	else
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
}

/*
 * Apply every back-link of a plan whose new (or repaired) node is self.
 */
void
HnswApplyBackLinks(Relation index, HnswIndexInfo *info, const VxInsertPlan *plan, VxNodeId self)
{
	int nupdates = vx_insert_plan_update_count(plan);

	for (int i = 0; i < nupdates; i++)
	{
		VxNodeId node;
		int level;
		const VxNodeId *oldIds;
		const VxNodeId *newIds;
		int oldCount;
		int newCount;

		vx_insert_plan_update(plan, i, &node, &level, &oldIds, &oldCount, &newIds, &newCount);
		HnswApplyBackLink(index, info, node, level, oldIds, oldCount, newIds, newCount, self);
	}
}

/*
 * If the graph is empty, make node its entry point.  Returns true if it did;
 * otherwise info is refreshed with the entry point another backend set.
 */
static bool
HnswSetFirstEntry(Relation index, HnswIndexInfo *info, VxNodeId node, int level)
{
	Buffer buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	Page page;
	HnswMetaPage meta;
	bool set = false;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	meta = HnswPageGetMeta(page);
	if (meta->entryLevel < 0)
	{
		GenericXLogState *state = GenericXLogStart(index);
		ItemPointerData tid;

		page = GenericXLogRegisterBuffer(state, buf, 0);
		meta = HnswPageGetMeta(page);
		HnswNodeTid(node, &tid);
		meta->entryBlkno = ItemPointerGetBlockNumber(&tid);
		meta->entryOffno = ItemPointerGetOffsetNumber(&tid);
		meta->entryLevel = level;
		GenericXLogFinish(state);
		set = true;
	}
	else
	{
		info->entry = HnswNodeId(meta->entryBlkno, meta->entryOffno);
		info->entryLevel = meta->entryLevel;
	}
	UnlockReleaseBuffer(buf);
	return set;
}

/*
 * Insert one (prepared) vector; info comes from the metapage.
 */
void
HnswInsertVector(Relation index, const float *vec, ItemPointer heaptid, HnswIndexInfo *info)
{
	int level = vx_hnsw_random_level(1.0 - pg_prng_double(&pg_global_prng_state), info->m);
	ItemPointerData elemtid;
	VxNodeId self;
	HnswGraphReader reader;
	VxHnswParams params;
	VxInsertPlan **plan;
	VxError err;
	VxStatus status;

	/* the metapage (entry point) as VACUUM left it, and no VACUUM freeing while we link */
	LockPage(index, HNSW_UPDATE_LOCK, ShareLock);
	HnswReadMeta(index, info);

	HnswPlaceElement(index, info, vec, level, heaptid, &elemtid);
	self = HnswTidNodeId(&elemtid);

	if (info->entry == VX_INVALID_NODE && HnswSetFirstEntry(index, info, self, level))
	{
		UnlockPage(index, HNSW_UPDATE_LOCK, ShareLock);
		return;
	}

	params.dim = info->dim;
	params.m = info->m;
	params.ef_construction = info->efConstruction;
	params.metric = info->metric;
	HnswInitReader(&reader, index, info);
	plan = HnswNewPlanHolder();
	status = vx_hnsw_plan_insert(&reader.cb, &params, vec, level, self, info->entry,
	                             info->entryLevel, plan, &err);
	HnswRethrowIfFailed(&reader, status, &err);
	HnswReleaseReader(&reader);

	HnswWriteOwnLists(index, info, self, *plan, Min(level, info->entryLevel));

	HnswApplyBackLinks(index, info, *plan, self);
	HnswFreePlan(plan);

	if (level > info->entryLevel)
		HnswUpdateMeta(index, self, level, true, InvalidBlockNumber, true);
	UnlockPage(index, HNSW_UPDATE_LOCK, ShareLock);
}

/*
 * aminsert: index one row.
 */
bool
hnswinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid, Relation heap,
           IndexUniqueCheck checkUnique, bool indexUnchanged, IndexInfo *indexInfo)
{
	MemoryContext insertCxt;
	MemoryContext oldCxt;
	HnswIndexInfo info;
	float *vec;

	/* NULLs are not indexed */
	if (isnull[0])
		return false;

	insertCxt = AllocSetContextCreate(CurrentMemoryContext, "hnsw insert", ALLOCSET_DEFAULT_SIZES);
	oldCxt = MemoryContextSwitchTo(insertCxt);

	HnswReadMeta(index, &info);
	vec = palloc(sizeof(float) * info.dim);
	/* a zero vector has no cosine distance to anything: not indexed */
	if (HnswPrepareVector(index, info.metric, values[0], vec, info.dim))
		HnswInsertVector(index, vec, heap_tid, &info);

	MemoryContextSwitchTo(oldCxt);
	MemoryContextDelete(insertCxt);
	return false;
}
