/*
 * hnswbuild.c: building an hnsw index.
 *
 * The heap is scanned once.  Vectors go into the core's in-memory builder,
 * which holds them and their graph within maintenance_work_mem.  When the
 * heap is exhausted the core links the graph, with 1 + the parallel workers
 * PostgreSQL would give a parallel index build (max_parallel_maintenance_
 * workers) as C++ threads that never call PostgreSQL, and the graph is
 * written out page by page without WAL; the whole relation is then logged
 * once with log_newpage_range.
 *
 * If the builder fills up before the heap ends, the graph so far is written
 * and logged the same way, a NOTICE says the build goes on more slowly, and
 * the remaining rows are inserted one by one through the regular insert
 * path (Generic WAL).  The build never fails for lack of memory.
 *
 * Page layout is computed before anything is written: node i's element and
 * neighbour tuples get their TIDs by laying the tuples out on a scratch page
 * exactly as PageAddItem will place them, so neighbour lists can refer to
 * nodes on later pages.  Tuples are packed in order, each on the current page
 * if it fits: a neighbour tuple then sometimes ends a page whose next element
 * starts the following one.  Keeping every pair together would leave most of
 * an element's size unused at the end of each page (a fifth of the index at
 * 768 dimensions).
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

typedef struct HnswBuildState
{
	Relation heap;
	Relation index;
	HnswIndexInfo info;
	VxHnswBuilder **builder; /* holder freed with the build context */
	float *vec;
	bool spilled; /* past maintenance_work_mem: inserting on disk */
	double reltuples;
	double indtuples;
	int threads;
	MemoryContext tmpCxt;
} HnswBuildState;

static void
HnswBuilderCleanup(void *arg)
{
	VxHnswBuilder **builder = (VxHnswBuilder **)arg;

	if (*builder != NULL)
		vx_hnsw_builder_free(*builder);
	*builder = NULL;
}

/*
 * The largest dimension an element tuple can have and still fit a page.
 */
static int
HnswMaxDimensions(void)
{
	return (int)((HNSW_MAX_ITEM_SIZE - MAXALIGN(offsetof(HnswElementTupleData, vec))) /
	             sizeof(float));
}

static void
HnswCreateBuilder(HnswBuildState *bs)
{
	VxHnswParams params;
	VxError err;
	VxStatus status;
	MemoryContextCallback *cb;

	params.dim = bs->info.dim;
	params.m = bs->info.m;
	params.ef_construction = bs->info.efConstruction;
	params.metric = bs->info.metric;

	bs->builder = palloc0(sizeof(VxHnswBuilder *));
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = HnswBuilderCleanup;
	cb->arg = bs->builder;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	status = vx_hnsw_builder_create(&params, (size_t)maintenance_work_mem * 1024, 0x5eed5eedULL,
	                                bs->builder, &err);
	HnswReportCoreError(status, &err);
}

static void
HnswProgress(void *ctx, int64_t done)
{
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
}

/*
 * Where each node's tuples go: computed by laying them out on scratch pages
 * exactly as the write pass will.
 */
typedef struct HnswLayout
{
	ItemPointerData elem;
	ItemPointerData nbr;
} HnswLayout;

typedef struct HnswPageCursor
{
	Relation index;
	bool write; /* false: only compute the layout */
	Page scratch;
	Buffer buf;
	Page page;
	BlockNumber blkno;
	int slotBits;
} HnswPageCursor;

static void
HnswCursorFlush(HnswPageCursor *cur)
{
	if (cur->write && BufferIsValid(cur->buf))
	{
		MarkBufferDirty(cur->buf);
		UnlockReleaseBuffer(cur->buf);
	}
	cur->buf = InvalidBuffer;
}

static void
HnswCursorNextPage(HnswPageCursor *cur)
{
	HnswCursorFlush(cur);
	if (cur->write)
	{
		cur->buf = HnswNewBuffer(cur->index, MAIN_FORKNUM, cur->slotBits);
		cur->page = BufferGetPage(cur->buf);
		if (BufferGetBlockNumber(cur->buf) != cur->blkno + 1)
			elog(ERROR, "unexpected block %u while writing hnsw index",
			     BufferGetBlockNumber(cur->buf));
		HnswInitPage(cur->buf, cur->page);
	}
	else
	{
		if (cur->blkno + 1 >= HnswSlotMaxBlocks(cur->slotBits))
			HnswReportFull(cur->index, cur->slotBits);
		cur->page = cur->scratch;
		PageInit(cur->page, BLCKSZ, sizeof(HnswPageOpaqueData));
	}
	cur->blkno++;
}

/*
 * Add a tuple at the cursor, on a new page if it does not fit.
 */
static void
HnswCursorAdd(HnswPageCursor *cur, Item item, Size size, ItemPointer tid)
{
	OffsetNumber off;

	if (cur->page == NULL || PageGetFreeSpace(cur->page) < size)
		HnswCursorNextPage(cur);
	off = PageAddItem(cur->page, item, size, InvalidOffsetNumber, false, false);
	if (!OffsetNumberIsValid(off))
		elog(ERROR, "failed to add tuple to hnsw index page");
	ItemPointerSet(tid, cur->blkno, off);
}

/*
 * How many floats of an element that does not fit whole to put at the end
 * of the cursor's page, the rest going to a tail tuple on the next page; 0
 * to start the element on the next page instead (see hnsw.h).
 */
static int
HnswSplitHead(HnswPageCursor *cur, int dim)
{
	Size room;
	int head;

	if (!HnswSplits(dim) || cur->page == NULL)
		return 0;
	room = PageGetFreeSpace(cur->page);
	if (room >= HNSW_ELEMENT_TUPLE_SIZE(dim) || room < HNSW_ELEMENT_TUPLE_SIZE(0))
		return 0;
	head = (int)((room - offsetof(HnswElementTupleData, vec)) / sizeof(float));
	while (head > 0 && HNSW_ELEMENT_TUPLE_SIZE(head) > room)
		head--;
	if (head < HnswSplitMin(dim) || dim - head < HnswSplitMin(dim))
		return 0;
	return head;
}

/*
 * Lay out (write == false) or write (write == true) every node.
 */
static void
HnswLayoutPass(HnswBuildState *bs, HnswLayout *layout, bool write, BlockNumber firstBlock)
{
	VxHnswBuilder *b = *bs->builder;
	int64 n = vx_hnsw_builder_count(b);
	int m = bs->info.m;
	int dim = bs->info.dim;
	Size esize = HNSW_ELEMENT_TUPLE_SIZE(dim);
	HnswElementTuple etup = palloc0(esize);
	HnswNeighborTuple ntup = palloc0(HNSW_NEIGHBOR_TUPLE_SIZE(m, VX_HNSW_MAX_LEVEL + 1));
	HnswTailTuple tail = palloc0(HNSW_TAIL_TUPLE_SIZE(dim));
	HnswPageCursor cur;

	memset(&cur, 0, sizeof(cur));
	cur.index = bs->index;
	cur.write = write;
	cur.scratch = palloc(BLCKSZ);
	cur.blkno = firstBlock - 1;
	cur.buf = InvalidBuffer;
	cur.slotBits = bs->info.slotBits;

	for (int64 i = 0; i < n; i++)
	{
		int level = vx_hnsw_builder_level(b, i);
		int levels = level + 1;
		Size nsize = HNSW_NEIGHBOR_TUPLE_SIZE(m, levels);
		uint64 payload = vx_hnsw_builder_payload(b, i);
		ItemPointerData heaptid;
		ItemPointerData tid;
		int head;

		if (nsize > HNSW_MAX_ITEM_SIZE)
			ereport(ERROR,
			        (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			         errmsg("hnsw neighbour list of level %d does not fit a page with m = %d",
			                level, m)));

		ntup->type = HNSW_NEIGHBOR_TUPLE;
		ntup->levels = (uint8)levels;
		ntup->count = (uint16)HNSW_NEIGHBOR_SLOTS(m, levels);
		memset(ntup->slots, 0, sizeof(HnswSlot) * ntup->count);
		if (write)
		{
			for (int l = 0; l <= level; l++)
			{
				const uint32_t *ids;
				int count = vx_hnsw_builder_neighbors(b, i, l, &ids);
				int start = HnswLevelStart(m, l);

				count = Min(count, HnswLevelSlots(m, l));
				for (int k = 0; k < count; k++)
					ntup->slots[start + k] =
					    HnswNodeSlot(HnswTidNodeId(&layout[ids[k]].elem), cur.slotBits);
			}
		}
		HnswCursorAdd(&cur, (Item)ntup, nsize, &tid);
		Assert(!write || ItemPointerEquals(&tid, &layout[i].nbr));
		layout[i].nbr = tid;

		ItemPointerSet(&heaptid, (BlockNumber)(payload >> 16), (OffsetNumber)(payload & 0xFFFF));
		etup->type = HNSW_ELEMENT_TUPLE;
		etup->level = (uint8)level;
		etup->state = HNSW_ELEMENT_LIVE;
		etup->neighborLevels = (uint8)levels;
		etup->heaptid = heaptid;
		etup->neighbortid = tid;
		if (write)
			memcpy(etup->vec, vx_hnsw_builder_vector(b, i), sizeof(float) * dim);
		head = HnswSplitHead(&cur, dim);
		etup->headDim = (uint16)(head > 0 ? head : dim);
		/* the tail will be the first item of the next page */
		etup->tailOffno = head > 0 ? FirstOffsetNumber : InvalidOffsetNumber;
		HnswCursorAdd(&cur, (Item)etup, HNSW_ELEMENT_TUPLE_SIZE(etup->headDim), &tid);
		if (write && !ItemPointerEquals(&tid, &layout[i].elem))
			elog(ERROR, "hnsw build layout and write pass disagree");
		layout[i].elem = tid;
		if (head > 0)
		{
			ItemPointerData ttid;

			Assert(ItemPointerGetBlockNumber(&tid) == cur.blkno);
			tail->type = HNSW_TAIL_TUPLE;
			tail->count = (uint16)(dim - head);
			if (write)
				memcpy(tail->vec, etup->vec + head, sizeof(float) * tail->count);
			HnswCursorNextPage(&cur);
			HnswCursorAdd(&cur, (Item)tail, HNSW_TAIL_TUPLE_SIZE(tail->count), &ttid);
			if (ItemPointerGetOffsetNumber(&ttid) != FirstOffsetNumber)
				elog(ERROR, "hnsw build could not place a tail first on its page");
		}

		if (write && (i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	HnswCursorFlush(&cur);
	pfree(cur.scratch);
	pfree(tail);
}

/*
 * Link the in-memory graph, write it after the pages that exist, point the
 * metapage at it, and WAL-log the relation.  The builder is emptied.
 */
static void
HnswFlushBuilder(HnswBuildState *bs)
{
	VxHnswBuilder *b = *bs->builder;
	int64 n = vx_hnsw_builder_count(b);
	HnswGraphReader reader;
	VxError err;
	VxStatus status;
	HnswLayout *layout;
	BlockNumber first = RelationGetNumberOfBlocks(bs->index);
	int entryLevel;
	int64 entry;

	if (n > 0)
	{
		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_HNSW_PHASE_LINK);
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, n);
		HnswInitReader(&reader, bs->index, &bs->info);
		/* small graphs link faster alone, and then come out the same every time */
		status = vx_hnsw_builder_build(b, n >= HNSW_PARALLEL_MIN_NODES ? bs->threads : 1,
		                               &reader.cb, HnswProgress, &err);
		HnswRethrowIfFailed(&reader, status, &err);
		HnswReleaseReader(&reader);

		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_HNSW_PHASE_WRITE);
		layout = palloc_extended(sizeof(HnswLayout) * n, MCXT_ALLOC_HUGE);
		HnswLayoutPass(bs, layout, false, first);
		HnswLayoutPass(bs, layout, true, first);

		entry = vx_hnsw_builder_entry(b, &entryLevel);
		if (entry >= 0)
			HnswUpdateMeta(bs->index, HnswTidNodeId(&layout[entry].elem), entryLevel, false,
			               RelationGetNumberOfBlocks(bs->index) - 1, false);
		pfree(layout);
	}

	if (RelationNeedsWAL(bs->index))
		log_newpage_range(bs->index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(bs->index), true);
}

static void
HnswBuildCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool tupleIsAlive,
                  void *state)
{
	HnswBuildState *bs = (HnswBuildState *)state;
	MemoryContext oldCxt;

	if (isnull[0])
		return;

	oldCxt = MemoryContextSwitchTo(bs->tmpCxt);
	if (HnswPrepareVector(index, bs->info.metric, values[0], bs->vec, bs->info.dim))
	{
		if (!bs->spilled)
		{
			uint64 payload =
			    ((uint64)ItemPointerGetBlockNumber(tid) << 16) | ItemPointerGetOffsetNumber(tid);
			VxError err;
			int accepted = 0;
			VxStatus status = vx_hnsw_builder_add(*bs->builder, bs->vec, payload, &accepted, &err);

			HnswReportCoreError(status, &err);
			if (!accepted)
			{
				ereport(
				    NOTICE,
				    (errmsg(
				         "hnsw graph no longer fits into maintenance_work_mem after " INT64_FORMAT
				         " tuples",
				         (int64)bs->indtuples),
				     errdetail("Building will take significantly more time."),
				     errhint("Increase maintenance_work_mem to speed up builds.")));
				MemoryContextSwitchTo(oldCxt);
				HnswFlushBuilder(bs);
				vx_hnsw_builder_free(*bs->builder);
				*bs->builder = NULL;
				bs->spilled = true;
				oldCxt = MemoryContextSwitchTo(bs->tmpCxt);
			}
		}
		if (bs->spilled)
		{
			HnswReadMeta(index, &bs->info);
			HnswInsertVector(index, bs->vec, tid, &bs->info);
		}
		bs->indtuples++;
	}
	bs->reltuples++;
	MemoryContextSwitchTo(oldCxt);
	MemoryContextReset(bs->tmpCxt);
}

/*
 * Extra threads for linking the graph: the table's parallel_workers if set,
 * else max_parallel_maintenance_workers, both capped by the latter.
 * PostgreSQL's own sizing (plan_create_index_workers) goes by the heap's
 * size, which for vectors stored out of line (TOAST) is a few megabytes
 * however large the table, and so would never give a worker.  Threads of the
 * core are not background workers, so max_worker_processes does not apply.
 */
static int
HnswBuildWorkers(Relation heap)
{
	int workers = RelationGetParallelWorkers(heap, max_parallel_maintenance_workers);

	return Max(0, Min(workers, max_parallel_maintenance_workers));
}

/*
 * ambuild
 */
IndexBuildResult *
hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	HnswBuildState bs;
	int dim = TupleDescAttr(index->rd_att, 0)->atttypmod;

	if (dim < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("column does not have dimensions")));
	if (dim > HnswMaxDimensions())
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("column cannot have more than %d dimensions for hnsw index",
		                       HnswMaxDimensions())));
	if (HnswGetEfConstruction(index) < 2 * HnswGetM(index))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("ef_construction must be greater than or equal to 2 * m")));
	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));

	memset(&bs, 0, sizeof(bs));
	bs.heap = heap;
	bs.index = index;
	bs.info.dim = dim;
	bs.info.m = HnswGetM(index);
	bs.info.efConstruction = HnswGetEfConstruction(index);
	bs.info.metric = HnswMetricFor(index);
	bs.info.slotBits = HnswSlotBitsFor(bs.info.dim, bs.info.m);
	bs.info.entry = VX_INVALID_NODE;
	bs.info.entryLevel = -1;
	bs.info.insertPage = HNSW_METAPAGE_BLKNO + 1;
	bs.vec = palloc(sizeof(float) * dim);
	bs.tmpCxt =
	    AllocSetContextCreate(CurrentMemoryContext, "hnsw build tuple", ALLOCSET_DEFAULT_SIZES);

	bs.threads = 1 + HnswBuildWorkers(heap);

	HnswWriteMetaPage(index, MAIN_FORKNUM, &bs.info);
	HnswCreateBuilder(&bs);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_HNSW_PHASE_LOAD);
	table_index_build_scan(heap, index, indexInfo, true, true, HnswBuildCallback, &bs, NULL);

	if (!bs.spilled)
		HnswFlushBuilder(&bs);
	if (*bs.builder != NULL)
	{
		vx_hnsw_builder_free(*bs.builder);
		*bs.builder = NULL;
	}
	MemoryContextDelete(bs.tmpCxt);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = bs.reltuples;
	result->index_tuples = bs.indtuples;
	return result;
}

/*
 * ambuildempty: the init fork of an unlogged index is an empty index.
 */
void
hnswbuildempty(Relation index)
{
	HnswIndexInfo info;

	memset(&info, 0, sizeof(info));
	info.dim = TupleDescAttr(index->rd_att, 0)->atttypmod;
	info.m = HnswGetM(index);
	info.efConstruction = HnswGetEfConstruction(index);
	info.metric = HnswMetricFor(index);
	info.slotBits = HnswSlotBitsFor(info.dim, info.m);
	info.entry = VX_INVALID_NODE;
	info.entryLevel = -1;
	info.insertPage = HNSW_METAPAGE_BLKNO + 1;
	HnswWriteMetaPage(index, INIT_FORKNUM, &info);
}
