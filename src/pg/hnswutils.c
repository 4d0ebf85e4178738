/*
 * hnswutils.c: page helpers, the metapage, vector preparation, and the
 * guarded callbacks through which the C++ core reads the graph.
 *
 * The callbacks run PostgreSQL code (buffer reads) on behalf of the core.
 * Each runs inside PG_TRY: an error is copied out with CopyErrorData,
 * the error state is flushed, and the callback reports failure.  The core
 * then unwinds its C++ frames normally and returns VX_ERR_CALLBACK, and
 * HnswRethrowIfFailed rethrows the saved error so the client sees the
 * original SQLSTATE (a cancel stays a cancel).  No PostgreSQL code runs
 * between the capture and the rethrow except what unwinding needs.
 */
#include "postgres.h"

#include <math.h>

#include "access/generic_xlog.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/buf_internals.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * Initialise a data page.
 */
void
HnswInitPage(Buffer buf, Page page)
{
	PageInit(page, BufferGetPageSize(buf), sizeof(HnswPageOpaqueData));
	HnswPageGetOpaque(page)->nextblkno = InvalidBlockNumber;
	HnswPageGetOpaque(page)->page_id = HNSW_PAGE_ID;
}

/*
 * Extend the relation by one page; returned pinned and exclusively locked.
 * With slotBits > 0 a page that neighbour slots could not address is an
 * ERROR (it stays behind new and empty, and is never used).
 */
Buffer
HnswNewBuffer(Relation index, ForkNumber forknum, int slotBits)
{
	Buffer buf;

	LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBufferExtended(index, forknum, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(index, ExclusiveLock);
	if (slotBits > 0 && BufferGetBlockNumber(buf) >= HnswSlotMaxBlocks(slotBits))
	{
		UnlockReleaseBuffer(buf);
		HnswReportFull(index, slotBits);
	}
	return buf;
}

/*
 * The error for an index that has as many pages as its neighbour slots can
 * address.
 */
void
HnswReportFull(Relation index, int slotBits)
{
	ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
	                errmsg("hnsw index \"%s\" cannot grow past %u pages",
	                       RelationGetRelationName(index), HnswSlotMaxBlocks(slotBits)),
	                errdetail("Neighbour lists of this index address pages with %d bits.",
	                          32 - slotBits)));
}

/*
 * Complain about a page that is not ours: damaged, or from another version.
 */
void
HnswCheckPage(Relation index, Page page, BlockNumber blkno)
{
	if (PageIsNew(page))
		return; /* an extended but never written page */
	if (PageGetSpecialSize(page) != MAXALIGN(sizeof(HnswPageOpaqueData)) ||
	    HnswPageGetOpaque(page)->page_id != HNSW_PAGE_ID)
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" contains corrupted page at block %u",
		                       RelationGetRelationName(index), blkno),
		                errhint("Please REINDEX it.")));
}

/*
 * Read the metapage into info; checks the magic number and format version.
 */
void
HnswReadMeta(Relation index, HnswIndexInfo *info)
{
	Buffer buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	Page page;
	HnswMetaPage meta;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	HnswCheckPage(index, page, HNSW_METAPAGE_BLKNO);
	meta = HnswPageGetMeta(page);
	if (meta->magic != HNSW_MAGIC_NUMBER)
		ereport(ERROR,
		        (errcode(ERRCODE_INDEX_CORRUPTED),
		         errmsg("index \"%s\" is not a valid hnsw index", RelationGetRelationName(index)),
		         errhint("Please REINDEX it.")));
	if (meta->version != HNSW_FORMAT_VERSION)
		ereport(ERROR,
		        (errcode(ERRCODE_INDEX_CORRUPTED),
		         errmsg("index \"%s\" has on-disk format version %u, this library reads version %d",
		                RelationGetRelationName(index), meta->version, HNSW_FORMAT_VERSION),
		         errhint("Please REINDEX it.")));

	info->dim = meta->dimensions;
	info->m = meta->m;
	info->efConstruction = meta->efConstruction;
	info->metric = meta->metric;
	info->entryLevel = meta->entryLevel;
	info->entry =
	    meta->entryLevel >= 0 ? HnswNodeId(meta->entryBlkno, meta->entryOffno) : VX_INVALID_NODE;
	info->insertPage = meta->insertPage;
	info->slotBits = meta->slotBits;
	UnlockReleaseBuffer(buf);

	if (info->m < HNSW_MIN_M || info->m > HNSW_MAX_M || info->dim < 1 ||
	    info->dim > VECTOR_MAX_DIM || info->dim != TupleDescAttr(index->rd_att, 0)->atttypmod ||
	    info->metric > VX_METRIC_L1 || info->entryLevel < -1 ||
	    info->entryLevel > VX_HNSW_MAX_LEVEL ||
	    info->slotBits != HnswSlotBitsFor(info->dim, info->m))
		ereport(ERROR,
		        (errcode(ERRCODE_INDEX_CORRUPTED),
		         errmsg("index \"%s\" has a corrupted metapage", RelationGetRelationName(index)),
		         errhint("Please REINDEX it.")));
}

static void
HnswFillMeta(Page page, const HnswIndexInfo *info)
{
	HnswMetaPage meta = HnswPageGetMeta(page);
	ItemPointerData entry;

	meta->magic = HNSW_MAGIC_NUMBER;
	meta->version = HNSW_FORMAT_VERSION;
	meta->dimensions = info->dim;
	meta->m = info->m;
	meta->efConstruction = info->efConstruction;
	meta->metric = info->metric;
	meta->entryLevel = info->entry == VX_INVALID_NODE ? -1 : info->entryLevel;
	if (info->entry == VX_INVALID_NODE)
		ItemPointerSetInvalid(&entry);
	else
		HnswNodeTid(info->entry, &entry);
	meta->entryBlkno = ItemPointerGetBlockNumberNoCheck(&entry);
	meta->entryOffno = ItemPointerGetOffsetNumberNoCheck(&entry);
	meta->insertPage = info->insertPage;
	meta->slotBits = (uint16)info->slotBits;
	/* keep the contents in full-page images */
	((PageHeader)page)->pd_lower = ((char *)meta + sizeof(HnswMetaPageData)) - (char *)page;
}

/*
 * Write the metapage as block 0 of a fork (the relation must be empty).
 * The main fork is written during a build, whose pages are logged at its
 * end.  The init fork of an unlogged index is logged here: Generic WAL would
 * log nothing for an unlogged relation, and a crash before the next
 * checkpoint would then leave the zeroed page the extension wrote, which
 * recovery copies over the main fork.
 */
void
HnswWriteMetaPage(Relation index, ForkNumber forknum, const HnswIndexInfo *info)
{
	Buffer buf = HnswNewBuffer(index, forknum, 0);
	Page page = BufferGetPage(buf);

	Assert(BufferGetBlockNumber(buf) == HNSW_METAPAGE_BLKNO);
	START_CRIT_SECTION();
	HnswInitPage(buf, page);
	HnswFillMeta(page, info);
	MarkBufferDirty(buf);
	if (forknum == INIT_FORKNUM)
		log_newpage_buffer(buf, true);
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
}

/*
 * Update the entry point (when entry != VX_INVALID_NODE; with entry invalid
 * and entryLevel -1, mark the graph empty) and the insert page hint (when
 * valid).  With onlyIfHigher, the entry point only moves to a higher level,
 * so concurrent inserts never lower it.  wal is false only during a build,
 * whose pages are logged at its end.
 */
void
HnswUpdateMeta(Relation index, VxNodeId entry, int entryLevel, bool onlyIfHigher,
               BlockNumber insertPage, bool wal)
{
	Buffer buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	GenericXLogState *state = NULL;
	Page page;
	HnswMetaPage meta;
	bool changed = false;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	if (wal)
	{
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
	}
	else
		page = BufferGetPage(buf);
	meta = HnswPageGetMeta(page);

	if (entry != VX_INVALID_NODE && (!onlyIfHigher || entryLevel > meta->entryLevel))
	{
		ItemPointerData tid;

		HnswNodeTid(entry, &tid);
		meta->entryBlkno = ItemPointerGetBlockNumber(&tid);
		meta->entryOffno = ItemPointerGetOffsetNumber(&tid);
		meta->entryLevel = entryLevel;
		changed = true;
	}
	else if (entry == VX_INVALID_NODE && entryLevel == -1 && !onlyIfHigher)
	{
		/* the graph became empty */
		meta->entryBlkno = InvalidBlockNumber;
		meta->entryOffno = InvalidOffsetNumber;
		meta->entryLevel = -1;
		changed = true;
	}
	if (BlockNumberIsValid(insertPage) && insertPage != meta->insertPage)
	{
		meta->insertPage = insertPage;
		changed = true;
	}

	if (!wal)
	{
		if (changed)
			MarkBufferDirty(buf);
	}
	else if (changed)
		GenericXLogFinish(state);
	else
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
}

/*
 * Move the insert hint back to blkno if it is past it (VACUUM freed a slot).
 */
void
HnswLowerInsertPage(Relation index, BlockNumber blkno)
{
	Buffer buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	HnswMetaPage meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	meta = HnswPageGetMeta(BufferGetPage(buf));
	if (meta->insertPage > blkno)
	{
		GenericXLogState *state = GenericXLogStart(index);

		meta = HnswPageGetMeta(GenericXLogRegisterBuffer(state, buf, 0));
		meta->insertPage = blkno;
		GenericXLogFinish(state);
	}
	UnlockReleaseBuffer(buf);
}

/*
 * Copy a vector datum into out (dim floats), normalised for the cosine
 * class.  Returns false when the value cannot be indexed (a zero vector
 * under cosine).
 */
bool
HnswPrepareVector(Relation index, int metric, Datum value, float *out, int dim)
{
	VectorView v = VectorViewFromDatum(value);

	if (v.dim != dim)
		CheckVectorDims(dim, v.dim);
	memcpy(out, v.x, sizeof(float) * dim);
	if (metric == VX_METRIC_COSINE)
	{
		double norm = 0.0;

		for (int i = 0; i < dim; i++)
			norm += (double)out[i] * (double)out[i];
		if (!(norm > 0))
			return false;
		norm = sqrt(norm);
		for (int i = 0; i < dim; i++)
			out[i] = (float)(out[i] / norm);
	}
	return true;
}

/*
 * Save the current error for HnswRethrowIfFailed and clear the error state.
 * Called in the PG_CATCH of a callback.
 */
static void
HnswCaptureError(HnswGraphReader *reader, MemoryContext callercxt)
{
	MemoryContextSwitchTo(reader->errcxt);
	if (reader->error == NULL)
		reader->error = CopyErrorData();
	FlushErrorState();
	MemoryContextSwitchTo(callercxt);
}

/*
 * Copy the neighbour ids of one level of a neighbour tuple; false when the
 * level is not in the tuple.
 */
bool
HnswLevelList(Page page, HnswNeighborTuple ntup, int m, int slotBits, int level, VxNodeId *out,
              int *count)
{
	int start = HnswLevelStart(m, level);
	int slots = HnswLevelSlots(m, level);
	int n = 0;

	if (level >= ntup->levels || start + slots > ntup->count)
		return false;
	for (int i = 0; i < slots; i++)
	{
		HnswSlot slot = ntup->slots[start + i];

		if (!HnswSlotIsValid(slot, slotBits))
			break;
		out[n++] = HnswSlotNodeId(slot, slotBits);
	}
	*count = n;
	return true;
}

/*
 * Overwrite one level of a neighbour tuple with ids (at most the level's slots).
 */
void
HnswSetLevelList(HnswNeighborTuple ntup, int m, int slotBits, int level, const VxNodeId *ids,
                 int count)
{
	int start = HnswLevelStart(m, level);
	int slots = HnswLevelSlots(m, level);

	/* a damaged tuple shorter than its levels is never written past its end */
	if (level >= ntup->levels || start + slots > ntup->count)
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("hnsw neighbour list too short for level %d", level),
		                errhint("Please REINDEX the index.")));
	Assert(count <= slots);
	for (int i = 0; i < slots; i++)
	{
		ntup->slots[start + i] = i < count ? HnswNodeSlot(ids[i], slotBits) : 0;
	}
}

/*
 * Backend-local hints: for each index (by relfilenode), the buffer that last
 * held each of its blocks.  ReadRecentBuffer checks a hint under a pin, so a
 * stale one only costs the normal lookup; a good one skips the buffer mapping
 * table, the largest cost of reading a page in a search.
 */
typedef struct HnswBufferHints
{
	RelFileNode node; /* hash key */
	BlockNumber nblocks;
	Buffer *hint;
} HnswBufferHints;

static HTAB *hnsw_hints = NULL;

static HnswBufferHints *
HnswGetHints(Relation index, BlockNumber nblocks)
{
	HnswBufferHints *h;
	bool found;

	if (hnsw_hints == NULL)
	{
		HASHCTL ctl;

		ctl.keysize = sizeof(RelFileNode);
		ctl.entrysize = sizeof(HnswBufferHints);
		ctl.hcxt = TopMemoryContext;
		hnsw_hints =
		    hash_create("hnsw buffer hints", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	h = hash_search(hnsw_hints, &index->rd_node, HASH_ENTER, &found);
	if (!found)
	{
		h->nblocks = 0;
		h->hint = NULL;
	}
	if (h->nblocks < nblocks)
	{
		Buffer *hint = MemoryContextAllocZero(TopMemoryContext, sizeof(Buffer) * nblocks);

		if (h->hint != NULL)
		{
			memcpy(hint, h->hint, sizeof(Buffer) * h->nblocks);
			pfree(h->hint);
		}
		h->hint = hint;
		h->nblocks = nblocks;
	}
	return h;
}

/*
 * Pin a block, trying the recent-buffer hint first.  The relation size is
 * looked up only for blocks past the last known end.  A page that is not
 * ours is caught here by its special space size (in the page header); items
 * are validated at each use.  Pins are not kept between accesses: holding
 * many would overflow the backend's small array of private reference counts
 * into a hash table and slow every pin.
 */
static Buffer
HnswReaderPin(HnswGraphReader *reader, BlockNumber blkno)
{
	Buffer buf = InvalidBuffer;
	Page page;

	if (blkno >= reader->nblocks)
		reader->nblocks = RelationGetNumberOfBlocks(reader->index);
	if (blkno == HNSW_METAPAGE_BLKNO || blkno >= reader->nblocks)
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" links to block %u beyond its end",
		                       RelationGetRelationName(reader->index), blkno),
		                errhint("Please REINDEX it.")));

	if (blkno < reader->hints->nblocks && BufferIsValid(reader->hints->hint[blkno]) &&
	    ReadRecentBuffer(reader->index->rd_node, MAIN_FORKNUM, blkno, reader->hints->hint[blkno]))
		buf = reader->hints->hint[blkno];
	if (!BufferIsValid(buf))
	{
		buf = ReadBuffer(reader->index, blkno);
		if (blkno < reader->hints->nblocks)
			reader->hints->hint[blkno] = buf;
	}

	page = BufferGetPage(buf);
	if (!PageIsNew(page) && PageGetSpecialSize(page) != MAXALIGN(sizeof(HnswPageOpaqueData)))
		HnswCheckPage(reader->index, page, blkno); /* reports the corruption */
	return buf;
}

/*
 * Where block blkno probably is in shared buffers (unpinned: only for
 * prefetching), or NULL.
 */
static inline char *
HnswReaderGuessPage(HnswGraphReader *reader, BlockNumber blkno)
{
	if (blkno < reader->hints->nblocks && BufferIsValid(reader->hints->hint[blkno]))
		return (char *)BufferGetPage(reader->hints->hint[blkno]);
	return NULL;
}

/* Pin and share-lock a block; UnlockReleaseBuffer when done. */
static Buffer
HnswReaderLock(HnswGraphReader *reader, BlockNumber blkno)
{
	Buffer buf = HnswReaderPin(reader, blkno);

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	return buf;
}

/*
 * Whether a normal item of at least minlen bytes lies wholly between the
 * line pointers and the special space of its page.  Every item is checked
 * so before its contents are read: a damaged line pointer could otherwise
 * point reads, and writes, past the page.
 */
static inline bool
HnswItemFits(Page page, ItemId itemid, Size minlen)
{
	return ItemIdIsNormal(itemid) && ItemIdGetLength(itemid) >= minlen &&
	       ItemIdGetOffset(itemid) >= SizeOfPageHeaderData &&
	       ItemIdGetOffset(itemid) + ItemIdGetLength(itemid) <= ((PageHeader)page)->pd_special;
}

/*
 * Whether the item at itemid is an element tuple of an index of dim
 * dimensions, with its own fields in range.  The caller has checked that the
 * item has at least its header on the page.
 */
static inline bool
HnswElementSane(Page page, ItemId itemid, HnswElementTuple etup, int dim)
{
	return etup->headDim >= 1 && etup->headDim <= dim &&
	       (etup->headDim == dim) == (etup->tailOffno == InvalidOffsetNumber) &&
	       HnswItemFits(page, itemid, HNSW_ELEMENT_TUPLE_SIZE(etup->headDim)) &&
	       etup->level <= VX_HNSW_MAX_LEVEL && etup->state <= HNSW_ELEMENT_FREE &&
	       etup->neighborLevels > etup->level && etup->neighborLevels <= VX_HNSW_MAX_LEVEL + 1;
}

/*
 * The element tuple at tid on a locked page; an ERROR if it is not a valid
 * element of this index.
 */
HnswElementTuple
HnswElementOnPage(Relation index, Page page, ItemPointer tid, int dim)
{
	OffsetNumber offno = ItemPointerGetOffsetNumber(tid);
	ItemId itemid;
	HnswElementTuple etup;

	if (offno < FirstOffsetNumber || offno > PageGetMaxOffsetNumber(page))
		ereport(ERROR,
		        (errcode(ERRCODE_INDEX_CORRUPTED),
		         errmsg("index \"%s\" links to a missing item (%u,%u)",
		                RelationGetRelationName(index), ItemPointerGetBlockNumber(tid), offno),
		         errhint("Please REINDEX it.")));
	itemid = PageGetItemId(page, offno);
	etup = (HnswElementTuple)PageGetItem(page, itemid);
	if (!HnswItemFits(page, itemid, offsetof(HnswElementTupleData, vec)) ||
	    etup->type != HNSW_ELEMENT_TUPLE || !HnswElementSane(page, itemid, etup, dim))
		ereport(ERROR,
		        (errcode(ERRCODE_INDEX_CORRUPTED),
		         errmsg("index \"%s\" links to a non-element item (%u,%u)",
		                RelationGetRelationName(index), ItemPointerGetBlockNumber(tid), offno),
		         errhint("Please REINDEX it.")));
	return etup;
}

/*
 * For loops over the items of a locked page: the element tuple at offset
 * off (at most the page's last), or NULL if the item there is not an element
 * (a neighbour tuple or an unused line pointer).  A damaged item is an ERROR.
 */
HnswElementTuple
HnswPageElement(Relation index, Page page, BlockNumber blkno, OffsetNumber off, int dim)
{
	ItemId itemid = PageGetItemId(page, off);
	HnswElementTuple etup;

	if (!ItemIdIsNormal(itemid))
		return NULL;
	if (!HnswItemFits(page, itemid, 1))
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" has a damaged item (%u,%u)",
		                       RelationGetRelationName(index), blkno, off),
		                errhint("Please REINDEX it.")));
	etup = (HnswElementTuple)PageGetItem(page, itemid);
	if (etup->type != HNSW_ELEMENT_TUPLE)
		return NULL;
	if (!HnswItemFits(page, itemid, offsetof(HnswElementTupleData, vec)) ||
	    !HnswElementSane(page, itemid, etup, dim))
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" has a damaged element (%u,%u)",
		                       RelationGetRelationName(index), blkno, off),
		                errhint("Please REINDEX it.")));
	return etup;
}

/*
 * The tail tuple at offno of a locked page holding count floats, or NULL if
 * that item is not one.
 */
HnswTailTuple
HnswTailOnPage(Page page, OffsetNumber offno, int count)
{
	ItemId itemid;
	HnswTailTuple tail;

	if (PageIsNew(page) || offno < FirstOffsetNumber || offno > PageGetMaxOffsetNumber(page))
		return NULL;
	itemid = PageGetItemId(page, offno);
	tail = (HnswTailTuple)PageGetItem(page, itemid);
	if (!HnswItemFits(page, itemid, HNSW_TAIL_TUPLE_SIZE(count)) || tail->type != HNSW_TAIL_TUPLE ||
	    tail->count != count)
		return NULL;
	return tail;
}

/*
 * The vector of a split element on a locked page of block blkno, copied with
 * its tail from block blkno + 1 into out (dim floats).  The tail's page is
 * share-locked while the element's stays locked (forward, as hnsw.h
 * requires).  A reader, when given, supplies its cached buffer lookups.
 */
const float *
HnswSplitVector(Relation index, HnswGraphReader *reader, BlockNumber blkno, HnswElementTuple etup,
                int dim, float *out)
{
	BlockNumber tblkno = blkno + 1;
	int count = dim - etup->headDim;
	HnswTailTuple tail = NULL;
	Buffer tbuf = InvalidBuffer;

	Assert(etup->headDim < dim);
	if (reader != NULL)
		tbuf = HnswReaderPin(reader, tblkno);
	else if (tblkno < RelationGetNumberOfBlocks(index))
		tbuf = ReadBuffer(index, tblkno);
	if (BufferIsValid(tbuf))
	{
		LockBuffer(tbuf, BUFFER_LOCK_SHARE);
		HnswCheckPage(index, BufferGetPage(tbuf), tblkno);
		tail = HnswTailOnPage(BufferGetPage(tbuf), etup->tailOffno, count);
		if (tail != NULL)
		{
			memcpy(out, etup->vec, sizeof(float) * etup->headDim);
			memcpy(out + etup->headDim, tail->vec, sizeof(float) * count);
		}
		UnlockReleaseBuffer(tbuf);
	}
	if (tail == NULL)
		ereport(ERROR,
		        (errcode(ERRCODE_INDEX_CORRUPTED),
		         errmsg("index \"%s\" has an element of block %u whose tail (%u,%u) is missing",
		                RelationGetRelationName(index), blkno, tblkno, etup->tailOffno),
		         errhint("Please REINDEX it.")));
	return out;
}

/*
 * The neighbour tuple at ntid on a locked page; an ERROR if it is not one.
 */
HnswNeighborTuple
HnswNeighborsOnPage(Relation index, Page page, ItemPointer ntid)
{
	OffsetNumber noffno = ItemPointerGetOffsetNumber(ntid);
	ItemId itemid;
	HnswNeighborTuple ntup;

	if (noffno < FirstOffsetNumber || noffno > PageGetMaxOffsetNumber(page))
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" has a dangling neighbour list",
		                       RelationGetRelationName(index)),
		                errhint("Please REINDEX it.")));
	itemid = PageGetItemId(page, noffno);
	ntup = (HnswNeighborTuple)PageGetItem(page, itemid);
	if (!HnswItemFits(page, itemid, offsetof(HnswNeighborTupleData, slots)) ||
	    ntup->type != HNSW_NEIGHBOR_TUPLE ||
	    ItemIdGetLength(itemid) <
	        offsetof(HnswNeighborTupleData, slots) + sizeof(HnswSlot) * ntup->count)
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" has a corrupted neighbour list",
		                       RelationGetRelationName(index)),
		                errhint("Please REINDEX it.")));
	return ntup;
}

/*
 * Empty every slot of a neighbour tuple.
 */
void
HnswClearNeighbors(HnswNeighborTuple ntup)
{
	memset(ntup->slots, 0, sizeof(HnswSlot) * ntup->count);
}

/*
 * Empty the neighbour tuple at ntid, under its own Generic WAL record.
 */
void
HnswClearRemoteNeighbors(Relation index, ItemPointer ntid)
{
	Buffer buf = ReadBuffer(index, ItemPointerGetBlockNumber(ntid));
	GenericXLogState *state;
	Page page;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	HnswCheckPage(index, page, ItemPointerGetBlockNumber(ntid));
	HnswClearNeighbors(HnswNeighborsOnPage(index, page, ntid));
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/*
 * Check that the neighbour tuple at ntid, on a locked page, has room for
 * `levels` levels of an index with this m: an insert is about to write them.
 */
void
HnswCheckNeighborCapacity(Relation index, Page page, ItemPointer ntid, int levels, int m)
{
	HnswNeighborTuple ntup = HnswNeighborsOnPage(index, page, ntid);

	if (ntup->levels != levels || ntup->count < HNSW_NEIGHBOR_SLOTS(m, levels))
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" has a corrupted neighbour list",
		                       RelationGetRelationName(index)),
		                errhint("Please REINDEX it.")));
}

/*
 * Read and lock (mode) the page of a node's element tuple, outside a reader.
 * UnlockReleaseBuffer(*bufOut) when done.
 */
HnswElementTuple
HnswLockElement(Relation index, VxNodeId node, int dim, int mode, Buffer *bufOut)
{
	ItemPointerData tid;
	Buffer buf;
	Page page;

	HnswNodeTid(node, &tid);
	if (ItemPointerGetBlockNumber(&tid) == HNSW_METAPAGE_BLKNO ||
	    ItemPointerGetBlockNumber(&tid) >= RelationGetNumberOfBlocks(index))
		ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
		                errmsg("index \"%s\" links to block %u beyond its end",
		                       RelationGetRelationName(index), ItemPointerGetBlockNumber(&tid)),
		                errhint("Please REINDEX it.")));
	buf = ReadBuffer(index, ItemPointerGetBlockNumber(&tid));
	LockBuffer(buf, mode);
	page = BufferGetPage(buf);
	HnswCheckPage(index, page, ItemPointerGetBlockNumber(&tid));
	*bufOut = buf;
	return HnswElementOnPage(index, page, &tid, dim);
}

/*
 * The element tuple of a node through a reader, in a share-locked page
 * (UnlockReleaseBuffer *bufOut).
 */
static HnswElementTuple
HnswReaderElement(HnswGraphReader *reader, VxNodeId node, Buffer *bufOut)
{
	ItemPointerData tid;

	HnswNodeTid(node, &tid);
	*bufOut = HnswReaderLock(reader, ItemPointerGetBlockNumber(&tid));
	return HnswElementOnPage(reader->index, BufferGetPage(*bufOut), &tid, reader->dim);
}

static int
HnswNeighborsCallback(void *ctx, VxNodeId node, int level, VxNodeId *out, int cap, int *count)
{
	HnswGraphReader *reader = (HnswGraphReader *)ctx;
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile int result = 0;

	PG_TRY();
	{
		Buffer buf;
		Buffer nbuf;
		HnswElementTuple etup;
		HnswNeighborTuple ntup;
		ItemPointerData ntid;
		VxNodeId ids[2 * HNSW_MAX_M];
		int n = 0;

		CHECK_FOR_INTERRUPTS();
		etup = HnswReaderElement(reader, node, &buf);
		ntid = etup->neighbortid;
		/* the list is usually on the element's own page, already locked */
		nbuf = buf;
		if (ItemPointerGetBlockNumber(&ntid) != BufferGetBlockNumber(buf))
		{
			UnlockReleaseBuffer(buf);
			nbuf = HnswReaderLock(reader, ItemPointerGetBlockNumber(&ntid));
		}
		ntup = HnswNeighborsOnPage(reader->index, BufferGetPage(nbuf), &ntid);
		if (!HnswLevelList(BufferGetPage(nbuf), ntup, reader->m, reader->slotBits, level, ids, &n))
			n = 0;
		UnlockReleaseBuffer(nbuf);

		n = Min(n, cap);
		memcpy(out, ids, sizeof(VxNodeId) * n);
		*count = n;
	}
	PG_CATCH();
	{
		HnswCaptureError(reader, oldcxt);
		result = 1;
	}
	PG_END_TRY();
	return result;
}

static const float *
HnswVectorCallback(void *ctx, VxNodeId node)
{
	HnswGraphReader *reader = (HnswGraphReader *)ctx;
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		Buffer buf;
		HnswElementTuple etup = HnswReaderElement(reader, node, &buf);

		HnswCopyVector(reader->index, reader, BufferGetBlockNumber(buf), etup, reader->dim,
		               reader->vecbuf);
		UnlockReleaseBuffer(buf);
	}
	PG_CATCH();
	{
		HnswCaptureError(reader, oldcxt);
		ok = false;
	}
	PG_END_TRY();
	return ok ? reader->vecbuf : NULL;
}

/*
 * Distances from the query to a batch of nodes, computed on the pages.  The
 * items are prefetched first, so that the cache misses of the batch overlap
 * instead of following one another.
 */
static int
HnswDistancesCallback(void *ctx, const float *query, const VxNodeId *ids, int n, float *out)
{
	HnswGraphReader *reader = (HnswGraphReader *)ctx;
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile int result = 0;

	PG_TRY();
	{
		/*
		 * Prefetch through the hints, without pins: first the line pointers,
		 * then the items they point at.  A stale hint only wastes a prefetch;
		 * everything is read again, pinned and locked, below.
		 */
		for (int i = 0; i < n && i < HNSW_PREFETCH_BATCH; i++)
		{
			char *page = HnswReaderGuessPage(reader, (BlockNumber)(ids[i] >> 16));

			if (page != NULL)
			{
				BlockNumber blkno = (BlockNumber)(ids[i] >> 16);

				/* the descriptor ReadRecentBuffer locks, and the line pointer */
				__builtin_prefetch(GetBufferDescriptor(reader->hints->hint[blkno] - 1));
				__builtin_prefetch(PageGetItemId((Page)page, (OffsetNumber)(ids[i] & 0xFFFF)));
			}
		}
		for (int i = 0; i < n && i < HNSW_PREFETCH_BATCH; i++)
		{
			char *page = HnswReaderGuessPage(reader, (BlockNumber)(ids[i] >> 16));
			OffsetNumber off = (OffsetNumber)(ids[i] & 0xFFFF);

			if (page != NULL && off >= FirstOffsetNumber && off <= MaxOffsetNumber)
				__builtin_prefetch(page + ItemIdGetOffset(PageGetItemId((Page)page, off)) % BLCKSZ);
		}
		for (int i = 0; i < n; i++)
		{
			Buffer buf;
			HnswElementTuple etup = HnswReaderElement(reader, ids[i], &buf);
			const float *vec = HnswElementVector(reader->index, reader, BufferGetBlockNumber(buf),
			                                     etup, reader->dim, reader->splitbuf);

			out[i] = vx_hnsw_distance(reader->metric, query, vec, reader->dim);
			UnlockReleaseBuffer(buf);
		}
	}
	PG_CATCH();
	{
		HnswCaptureError(reader, oldcxt);
		result = 1;
	}
	PG_END_TRY();
	return result;
}

static int
HnswInterruptCallback(void *ctx)
{
	HnswGraphReader *reader = (HnswGraphReader *)ctx;
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile int result = 0;

	PG_TRY();
	{
		CHECK_FOR_INTERRUPTS();
	}
	PG_CATCH();
	{
		HnswCaptureError(reader, oldcxt);
		result = 1;
	}
	PG_END_TRY();
	return result;
}

/*
 * Set up the callbacks for the core to read this index; HnswReleaseReader
 * when done.
 */
void
HnswInitReader(HnswGraphReader *reader, Relation index, const HnswIndexInfo *info)
{
	reader->index = index;
	reader->dim = info->dim;
	reader->m = info->m;
	reader->slotBits = info->slotBits;
	reader->metric = info->metric;
	reader->nblocks = RelationGetNumberOfBlocks(index);
	reader->hints = HnswGetHints(index, reader->nblocks);
	reader->vecbuf = palloc(sizeof(float) * info->dim);
	reader->splitbuf = palloc(sizeof(float) * info->dim);
	reader->error = NULL;
	reader->errcxt = CurrentMemoryContext;
	reader->cb.ctx = reader;
	reader->cb.neighbors = HnswNeighborsCallback;
	reader->cb.vector = HnswVectorCallback;
	reader->cb.check_interrupt = HnswInterruptCallback;
	reader->cb.distances = HnswDistancesCallback;
}

/*
 * Done with a reader.
 */
void
HnswReleaseReader(HnswGraphReader *reader)
{
	pfree(reader->vecbuf);
	reader->vecbuf = NULL;
	pfree(reader->splitbuf);
	reader->splitbuf = NULL;
}

/*
 * Turn a failed core status into an ERROR: rethrow the PostgreSQL error a
 * callback saved, or report the core's own failure.
 */
void
HnswRethrowIfFailed(HnswGraphReader *reader, VxStatus status, VxError *err)
{
	if (status == VX_OK)
		return;
	if (status == VX_ERR_CALLBACK && reader != NULL && reader->error != NULL)
		ReThrowError(reader->error);
	HnswReportCoreError(status, err);
}

void
HnswReportCoreError(VxStatus status, VxError *err)
{
	if (status == VX_OK)
		return;
	if (status == VX_ERR_NO_MEMORY)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
		                errdetail("%s", err->message)));
	if (status == VX_ERR_INVALID_PARAM)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", err->message)));
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
	                errmsg("hnsw graph operation failed: %s", err->message)));
}

/*
 * A plan allocated by the core lives in a holder allocated in the current
 * memory context; a reset callback frees the plan when that context goes
 * away, so an error between its creation and HnswFreePlan does not leak it.
 */
static void
HnswPlanCleanup(void *arg)
{
	VxInsertPlan **plan = (VxInsertPlan **)arg;

	if (*plan != NULL)
		vx_insert_plan_free(*plan);
	*plan = NULL;
}

VxInsertPlan **
HnswNewPlanHolder(void)
{
	VxInsertPlan **plan = palloc0(sizeof(VxInsertPlan *));
	MemoryContextCallback *cb = palloc(sizeof(MemoryContextCallback));

	cb->func = HnswPlanCleanup;
	cb->arg = plan;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return plan;
}

void
HnswFreePlan(VxInsertPlan **plan)
{
	HnswPlanCleanup(plan);
}
