/*
 * hnswcheck.c: the structural checker of hnsw indexes.
 *
 * vector_ext_hnsw_check(index regclass, heapallindexed bool) walks every page
 * and verifies: the metapage's magic number and format version; that every
 * page is one of ours; that every item fits its page and is an element or a
 * neighbour tuple; uniform dimensions; that every element's neighbour tuple
 * exists and has room for its level; that every neighbour link of a live or
 * dead element points at an element slot, is not a self link, is not
 * duplicated on its level, and points at an element whose level is at least
 * the link's level; that valid links come first in each list; that the entry
 * point is an unfreed element at the top level of the graph; and, with
 * heapallindexed, that every indexable live heap row has a live element.
 *
 * Corruption raises ERRCODE_INDEX_CORRUPTED naming the place.  Links to FREE
 * slots are not corruption (a concurrent insert may make one while VACUUM
 * frees the slot); they are counted, and so are live elements unreachable
 * from the entry point.  The function is not granted to PUBLIC.
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "hnsw.h"

typedef struct HnswCheckCounts
{
	int64 elements;
	int64 live;
	int64 dead;
	int64 free;
	int64 links;
	int64 linksToFree;
	int64 unreachable;
	int maxLiveLevel;
} HnswCheckCounts;

/* A node of the graph as the checker saw it, for the reachability walk. */
typedef struct HnswCheckNode
{
	VxNodeId id; /* hash key */
	bool live;
	bool reached;
	int nlinks;
	VxNodeId *links; /* all levels */
} HnswCheckNode;

#define CORRUPT(index, ...)                                                                        \
	ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),                                              \
	                errmsg("index \"%s\" is corrupted", RelationGetRelationName(index)),           \
	                errdetail(__VA_ARGS__)))

/*
 * Fetch the item at tid if it is a normal item of at least minsize bytes;
 * the returned copy is palloc'd.
 */
static void *
HnswCheckFetch(Relation index, ItemPointer tid, Size minsize, const char *what, Size *sizeOut)
{
	BlockNumber blkno = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);
	Buffer buf;
	Page page;
	ItemId itemid;
	void *copy;

	if (blkno == HNSW_METAPAGE_BLKNO || blkno >= RelationGetNumberOfBlocks(index))
		CORRUPT(index, "%s (%u,%u) is outside the index", what, blkno, off);
	buf = ReadBuffer(index, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	HnswCheckPage(index, page, blkno);
	if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		CORRUPT(index, "%s (%u,%u) is past the last item of its page", what, blkno, off);
	itemid = PageGetItemId(page, off);
	if (!ItemIdIsNormal(itemid) || ItemIdGetLength(itemid) < minsize ||
	    ItemIdGetOffset(itemid) < SizeOfPageHeaderData ||
	    ItemIdGetOffset(itemid) + ItemIdGetLength(itemid) > ((PageHeader)page)->pd_special)
		CORRUPT(index, "%s (%u,%u) is not a valid item", what, blkno, off);
	copy = palloc(ItemIdGetLength(itemid));
	memcpy(copy, PageGetItem(page, itemid), ItemIdGetLength(itemid));
	if (sizeOut)
		*sizeOut = ItemIdGetLength(itemid);
	UnlockReleaseBuffer(buf);
	return copy;
}

/*
 * Check one element's neighbour tuple and links.
 */
static void
HnswCheckElement(Relation index, HnswIndexInfo *info, BlockNumber blkno, OffsetNumber off,
                 HnswElementTuple etup, HnswCheckCounts *counts, HTAB *graph)
{
	HnswCheckNode *gnode;
	Size nsize;
	HnswNeighborTuple ntup =
	    HnswCheckFetch(index, &etup->neighbortid, offsetof(HnswNeighborTupleData, slots),
	                   "neighbour tuple", &nsize);
	VxNodeId self = HnswNodeId(blkno, off);

	if (ntup->type != HNSW_NEIGHBOR_TUPLE)
		CORRUPT(index, "element (%u,%u) points at a non-neighbour item", blkno, off);
	if (ntup->levels < etup->level + 1 || ntup->levels != etup->neighborLevels ||
	    ntup->count != HNSW_NEIGHBOR_SLOTS(info->m, ntup->levels) ||
	    nsize < offsetof(HnswNeighborTupleData, slots) + sizeof(HnswSlot) * ntup->count)
		CORRUPT(index, "neighbour tuple of element (%u,%u) has the wrong size for level %d", blkno,
		        off, etup->level);
	if (etup->headDim < info->dim)
	{
		ItemPointerData ttid;
		Size tsize;
		HnswTailTuple tail;
		int count = info->dim - etup->headDim;

		ItemPointerSet(&ttid, blkno + 1, etup->tailOffno);
		tail =
		    HnswCheckFetch(index, &ttid, offsetof(HnswTailTupleData, vec), "vector tail", &tsize);
		if (tail->type != HNSW_TAIL_TUPLE || tail->count != count ||
		    tsize != HNSW_TAIL_TUPLE_SIZE(count))
			CORRUPT(index, "element (%u,%u) has a damaged vector tail (%u,%u)", blkno, off,
			        blkno + 1, etup->tailOffno);
		pfree(tail);
	}
	gnode = hash_search(graph, &self, HASH_ENTER, NULL);
	gnode->live = etup->state == HNSW_ELEMENT_LIVE;
	gnode->reached = false;
	gnode->nlinks = 0;
	gnode->links = NULL;
	if (etup->state == HNSW_ELEMENT_FREE)
		return;
	gnode->links = palloc(sizeof(VxNodeId) * ntup->count);

	for (int level = 0; level <= etup->level; level++)
	{
		int start = HnswLevelStart(info->m, level);
		int slots = HnswLevelSlots(info->m, level);
		bool ended = false;

		for (int i = 0; i < slots; i++)
		{
			HnswSlot slot = ntup->slots[start + i];
			ItemPointerData tidData;
			ItemPointer tid = &tidData;
			HnswElementTuple target;

			if (!HnswSlotIsValid(slot, info->slotBits))
			{
				ended = true;
				continue;
			}
			if (ended)
				CORRUPT(index, "element (%u,%u) has a link after an empty slot on level %d", blkno,
				        off, level);
			HnswSlotTid(slot, info->slotBits, tid);
			if (HnswTidNodeId(tid) == self)
				CORRUPT(index, "element (%u,%u) links to itself on level %d", blkno, off, level);
			for (int j = 0; j < i; j++)
				if (slot == ntup->slots[start + j])
					CORRUPT(index, "element (%u,%u) links twice to (%u,%u) on level %d", blkno, off,
					        ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid), level);
			target = HnswCheckFetch(index, tid, offsetof(HnswElementTupleData, vec),
			                        "linked element", NULL);
			if (target->type != HNSW_ELEMENT_TUPLE)
				CORRUPT(index, "element (%u,%u) links to a non-element item (%u,%u)", blkno, off,
				        ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
			counts->links++;
			gnode->links[gnode->nlinks++] = HnswTidNodeId(tid);
			if (target->state == HNSW_ELEMENT_FREE)
				counts->linksToFree++;
			else if (target->level < level)
				CORRUPT(index, "element (%u,%u) links on level %d to (%u,%u) of level %d", blkno,
				        off, level, ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid),
				        target->level);
			pfree(target);
		}
	}
	pfree(ntup);
}

/*
 * Live elements that no path of links (on any level) leads to from the entry
 * point.  HNSW's pruning can leave a few such nodes in a sound graph; a
 * damaged one has many.  Searches cannot find them, but iterative scans
 * still return them (see hnswscan.c).
 */
static int64
HnswCountUnreachable(HTAB *graph, VxNodeId entry, int64 live)
{
	VxNodeId *stack;
	int64 top = 0;
	int64 reached = 0;
	HnswCheckNode *n;

	if (entry == VX_INVALID_NODE)
		return live;
	stack = palloc_extended(sizeof(VxNodeId) * (hash_get_num_entries(graph) + 1), MCXT_ALLOC_HUGE);
	n = hash_search(graph, &entry, HASH_FIND, NULL);
	if (n == NULL)
		return live;
	n->reached = true;
	stack[top++] = entry;
	while (top > 0)
	{
		n = hash_search(graph, &stack[--top], HASH_FIND, NULL);
		if (n->live)
			reached++;
		for (int i = 0; i < n->nlinks; i++)
		{
			HnswCheckNode *next = hash_search(graph, &n->links[i], HASH_FIND, NULL);

			if (next != NULL && !next->reached)
			{
				next->reached = true;
				stack[top++] = next->id;
			}
		}
	}
	pfree(stack);
	return live - reached;
}

/* heapallindexed: a live element by its heap TID */
typedef struct HnswHeapTidEntry
{
	ItemPointerData heaptid; /* hash key */
	ItemPointerData elem;
} HnswHeapTidEntry;

typedef struct HnswHeapCheckState
{
	HTAB *tids;
	Relation index;
	int metric;
	int dim;
	float *vec;
	float *stored;
	int64 checked;
} HnswHeapCheckState;

/*
 * Whether the element at elem holds exactly the vector vec (the row's vector
 * as the index would store it).
 */
static bool
HnswElementHolds(Relation index, ItemPointer elem, const float *vec, int dim, float *scratch)
{
	BlockNumber blkno = ItemPointerGetBlockNumber(elem);
	Buffer buf = ReadBuffer(index, blkno);
	HnswElementTuple etup;
	bool same;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	HnswCheckPage(index, BufferGetPage(buf), blkno);
	etup = HnswElementOnPage(index, BufferGetPage(buf), elem, dim);
	same = memcmp(HnswElementVector(index, NULL, blkno, etup, dim, scratch), vec,
	              sizeof(float) * dim) == 0;
	UnlockReleaseBuffer(buf);
	return same;
}

static void
HnswHeapCheckCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
                      bool tupleIsAlive, void *state)
{
	HnswHeapCheckState *hs = (HnswHeapCheckState *)state;
	HnswHeapTidEntry *entry;

	if (isnull[0] || !HnswPrepareVector(index, hs->metric, values[0], hs->vec, hs->dim))
		return;
	entry = hash_search(hs->tids, tid, HASH_FIND, NULL);
	if (entry == NULL)
		CORRUPT(index, "heap row (%u,%u) is missing from the index", ItemPointerGetBlockNumber(tid),
		        ItemPointerGetOffsetNumber(tid));
	if (!HnswElementHolds(index, &entry->elem, hs->vec, hs->dim, hs->stored))
		CORRUPT(index, "element (%u,%u) holds another vector than its heap row (%u,%u)",
		        ItemPointerGetBlockNumber(&entry->elem), ItemPointerGetOffsetNumber(&entry->elem),
		        ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
	hs->checked++;
}

PG_FUNCTION_INFO_V1(vector_ext_hnsw_check);
Datum
vector_ext_hnsw_check(PG_FUNCTION_ARGS)
{
	Oid indexoid = PG_GETARG_OID(0);
	bool heapallindexed = PG_GETARG_BOOL(1);
	Oid heapoid = IndexGetRelation(indexoid, true);
	/*
	 * heapallindexed blocks writers with ShareLock; a standby cannot take it
	 * (and replay ignores locks), so there the heap is read through an MVCC
	 * snapshot taken before the index: every row it sees had its element
	 * written before the snapshot.
	 */
	bool standby = RecoveryInProgress();
	LOCKMODE lockmode = (heapallindexed && !standby) ? ShareLock : AccessShareLock;
	Snapshot snapshot = InvalidSnapshot;
	Relation heap = NULL;
	Relation index;
	HnswIndexInfo info;
	HnswCheckCounts counts;
	HTAB *tids = NULL;
	HTAB *graph;
	BlockNumber nblocks;
	TupleDesc tupdesc;
	Datum values[7];
	bool nulls[7] = {false};

	if (!OidIsValid(heapoid))
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
		                errmsg("relation %u is not an index", indexoid)));
	/* lock the table before the index, as everything else does */
	heap = table_open(heapoid, lockmode);
	index = index_open(indexoid, lockmode);
	if (index->rd_rel->relam != get_index_am_oid("hnsw", false))
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
		                errmsg("\"%s\" is not an hnsw index", RelationGetRelationName(index))));

	memset(&counts, 0, sizeof(counts));
	counts.maxLiveLevel = -1;
	HnswReadMeta(index, &info);
	if (info.m != HnswGetM(index) || info.dim != TupleDescAttr(index->rd_att, 0)->atttypmod)
		CORRUPT(index, "metapage parameters do not match the index definition");

	if (heapallindexed)
	{
		HASHCTL ctl;

		ctl.keysize = sizeof(ItemPointerData);
		ctl.entrysize = sizeof(HnswHeapTidEntry);
		ctl.hcxt = CurrentMemoryContext;
		tids = hash_create("hnsw check tids", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	if (heapallindexed && standby)
		snapshot = RegisterSnapshot(GetTransactionSnapshot());

	{
		HASHCTL ctl;

		ctl.keysize = sizeof(VxNodeId);
		ctl.entrysize = sizeof(HnswCheckNode);
		ctl.hcxt = CurrentMemoryContext;
		graph = hash_create("hnsw check graph", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	nblocks = RelationGetNumberOfBlocks(index);
	for (BlockNumber blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer buf = ReadBuffer(index, blkno);
		Page page;
		OffsetNumber maxoff;
		HnswElementTuple *elems;
		OffsetNumber *offs;
		int nelems = 0;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		HnswCheckPage(index, page, blkno);
		if (PageIsNew(page))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		maxoff = PageGetMaxOffsetNumber(page);
		elems = palloc(sizeof(HnswElementTuple) * (maxoff + 1));
		offs = palloc(sizeof(OffsetNumber) * (maxoff + 1));
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off))
		{
			ItemId itemid = PageGetItemId(page, off);
			char *item;
			Size len;

			if (!ItemIdIsNormal(itemid))
				CORRUPT(index, "item (%u,%u) is not a normal item", blkno, off);
			len = ItemIdGetLength(itemid);
			if (ItemIdGetOffset(itemid) + len > ((PageHeader)page)->pd_special ||
			    ItemIdGetOffset(itemid) < SizeOfPageHeaderData)
				CORRUPT(index, "item (%u,%u) does not fit its page", blkno, off);
			item = PageGetItem(page, itemid);
			if (len < 4 || (item[0] != HNSW_ELEMENT_TUPLE && item[0] != HNSW_NEIGHBOR_TUPLE &&
			                item[0] != HNSW_TAIL_TUPLE))
				CORRUPT(index, "item (%u,%u) has an unknown type", blkno, off);
			if (item[0] == HNSW_ELEMENT_TUPLE)
			{
				HnswElementTuple etup = (HnswElementTuple)item;

				if (len < offsetof(HnswElementTupleData, vec) || etup->headDim < 1 ||
				    etup->headDim > info.dim || len != HNSW_ELEMENT_TUPLE_SIZE(etup->headDim) ||
				    (etup->headDim == info.dim) != (etup->tailOffno == InvalidOffsetNumber))
					CORRUPT(index, "element (%u,%u) has %u of %d floats in a tuple of %zu bytes",
					        blkno, off, etup->headDim, info.dim, len);
				if (etup->level > VX_HNSW_MAX_LEVEL || etup->state > HNSW_ELEMENT_FREE)
					CORRUPT(index, "element (%u,%u) has an invalid level or state", blkno, off);
				elems[nelems] = palloc(len);
				memcpy(elems[nelems], etup, len);
				offs[nelems++] = off;
			}
		}
		UnlockReleaseBuffer(buf);

		for (int i = 0; i < nelems; i++)
		{
			HnswElementTuple etup = elems[i];

			counts.elements++;
			if (etup->state == HNSW_ELEMENT_LIVE)
			{
				counts.live++;
				counts.maxLiveLevel = Max(counts.maxLiveLevel, etup->level);
				if (tids)
				{
					HnswHeapTidEntry *entry = hash_search(tids, &etup->heaptid, HASH_ENTER, NULL);

					ItemPointerSet(&entry->elem, blkno, offs[i]);
				}
			}
			else if (etup->state == HNSW_ELEMENT_DEAD)
				counts.dead++;
			else
				counts.free++;
			HnswCheckElement(index, &info, blkno, offs[i], etup, &counts, graph);
			pfree(etup);
		}
		pfree(elems);
		pfree(offs);
	}

	/* the entry point */
	if (info.entry == VX_INVALID_NODE)
	{
		if (counts.live > 0)
			CORRUPT(index, "the index has live elements but no entry point");
	}
	else
	{
		ItemPointerData tid;
		HnswElementTuple entry;

		HnswNodeTid(info.entry, &tid);
		entry =
		    HnswCheckFetch(index, &tid, offsetof(HnswElementTupleData, vec), "entry point", NULL);
		if (entry->type != HNSW_ELEMENT_TUPLE || entry->state == HNSW_ELEMENT_FREE)
			CORRUPT(index, "the entry point is not an element in use");
		if (entry->level != info.entryLevel)
			CORRUPT(index, "the entry point has level %d, the metapage says %d", entry->level,
			        info.entryLevel);
		if (info.entryLevel < counts.maxLiveLevel)
			CORRUPT(index, "the entry point has level %d below the top live level %d",
			        info.entryLevel, counts.maxLiveLevel);
	}

	counts.unreachable = HnswCountUnreachable(graph, info.entry, counts.live);

	if (heapallindexed)
	{
		IndexInfo *indexInfo = BuildIndexInfo(index);
		TableScanDesc scan = NULL;
		HnswHeapCheckState hs;

		hs.tids = tids;
		hs.index = index;
		hs.metric = info.metric;
		hs.dim = info.dim;
		hs.vec = palloc(sizeof(float) * info.dim);
		hs.stored = palloc(sizeof(float) * info.dim);
		hs.checked = 0;
		if (snapshot != InvalidSnapshot)
		{
			/* an MVCC scan is what a concurrent index build does */
			indexInfo->ii_Concurrent = true;
			scan = table_beginscan_strat(heap, snapshot, 0, NULL, true, true);
		}
		/* ends the scan */
		table_index_build_scan(heap, index, indexInfo, true, false, HnswHeapCheckCallback, &hs,
		                       scan);
		if (snapshot != InvalidSnapshot)
			UnregisterSnapshot(snapshot);
	}

	index_close(index, lockmode);
	table_close(heap, lockmode);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int64GetDatum(counts.elements);
	values[1] = Int64GetDatum(counts.live);
	values[2] = Int64GetDatum(counts.dead);
	values[3] = Int64GetDatum(counts.free);
	values[4] = Int64GetDatum(counts.links);
	values[5] = Int64GetDatum(counts.linksToFree);
	values[6] = Int64GetDatum(counts.unreachable);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
