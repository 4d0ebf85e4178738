/*
 * vx_hnsw.h: C API of the HNSW graph algorithms in the core.
 *
 * One implementation serves both the in-memory build (VxHnswBuilder) and the
 * page-backed insert, scan and vacuum of the index: for those, the glue
 * supplies VxGraphCallbacks that read neighbour lists and vectors from index
 * pages.  Node ids are opaque 64-bit values to the core (the glue packs a
 * block number and an offset into them).
 *
 * Rules (see ARCHITECTURE.md): every function is noexcept and reports
 * failure as a VxStatus plus a message in the caller's VxError.  A callback
 * that fails returns non-zero; the core then unwinds and returns
 * VX_ERR_CALLBACK, and the glue rethrows the PostgreSQL error it saved.
 * Handles are plain heap objects: the glue must free them, and registers a
 * MemoryContext callback so that they are freed on error too.
 */
#ifndef VX_HNSW_H
#define VX_HNSW_H

#include "vx_core.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define VX_HNSW_MAX_M     100
#define VX_HNSW_MAX_LEVEL 15     /* levels are capped so neighbour lists stay bounded */
#define VX_HNSW_MAX_EF    100000 /* largest beam vx_hnsw_search accepts */

	typedef uint64_t VxNodeId;
#define VX_INVALID_NODE ((VxNodeId)UINT64_MAX)

	typedef enum VxMetric
	{
		VX_METRIC_L2 = 0,     /* squared L2 */
		VX_METRIC_IP = 1,     /* negative inner product */
		VX_METRIC_COSINE = 2, /* 1 - inner product; vectors are normalised by the caller */
		VX_METRIC_L1 = 3
	} VxMetric;

	typedef struct VxHnswParams
	{
		int dim;
		int m;               /* max neighbours on levels >= 1; level 0 keeps 2*m */
		int ef_construction; /* candidate list size while inserting */
		int metric;          /* VxMetric */
	} VxHnswParams;

	/* Neighbours kept on a level. */
	int vx_hnsw_max_neighbors(int m, int level) VX_NOEXCEPT;

	/* Level of a new node from a uniform random u in (0, 1], capped at VX_HNSW_MAX_LEVEL. */
	int vx_hnsw_random_level(double u, int m) VX_NOEXCEPT;

	/* Distance between two vectors under a metric (what the graph orders by). */
	float vx_hnsw_distance(int metric, const float *a, const float *b, int dim) VX_NOEXCEPT;

	typedef struct VxGraphCallbacks
	{
		void *ctx;
		/*
		 * Copy the neighbour ids of node at level into out[0..cap) and set
		 * *count.  A node with fewer neighbours than its level allows simply has
		 * a shorter list.  Return 0, or non-zero on failure.
		 */
		int (*neighbors)(void *ctx, VxNodeId node, int level, VxNodeId *out, int cap, int *count);
		/*
		 * Return node's vector (dim floats), valid until the next call of this
		 * callback; NULL on failure.
		 */
		const float *(*vector)(void *ctx, VxNodeId node);
		/* Optional (may be NULL): return non-zero to stop (cancel requested). */
		int (*check_interrupt)(void *ctx);
		/*
		 * Optional (may be NULL): out[i] = vx_hnsw_distance(metric, query,
		 * vector of ids[i], dim) for i in 0..n, computed where the vectors are
		 * stored.  Searches use it for all unvisited neighbours of a node at
		 * once.  Return 0, or non-zero on failure.
		 */
		int (*distances)(void *ctx, const float *query, const VxNodeId *ids, int n, float *out);
	} VxGraphCallbacks;

	typedef struct VxCandidate
	{
		VxNodeId id;
		float distance;
	} VxCandidate;

	/*
	 * Search the graph from entry (whose top level is entry_level): greedy descent
	 * on the upper levels, then a beam of width ef on level 0.  Writes at most
	 * ef candidates to out, nearest first, and sets *count.  out has room for ef.
	 */
	VxStatus vx_hnsw_search(const VxGraphCallbacks *cb, const VxHnswParams *params,
	                        const float *query, VxNodeId entry, int entry_level, int ef,
	                        VxCandidate *out, int *count, VxError *err) VX_NOEXCEPT;

	/* ---- insert into an existing graph ------------------------------------- */

	typedef struct VxInsertPlan VxInsertPlan;

	/*
	 * Plan the insertion of a new node with vector vec at level `level`: choose
	 * its neighbours on each level 0..min(level, entry_level) with the
	 * neighbour-selection heuristic, and compute the back-links: for each chosen
	 * neighbour, its new list on that level (the old list it was based on is
	 * kept, so that the glue can detect a concurrent change).  `self` is the id
	 * the new node will have; it appears in the back-link lists.
	 * With entry == VX_INVALID_NODE (empty graph) the plan is empty.
	 */
	VxStatus vx_hnsw_plan_insert(const VxGraphCallbacks *cb, const VxHnswParams *params,
	                             const float *vec, int level, VxNodeId self, VxNodeId entry,
	                             int entry_level, VxInsertPlan **plan, VxError *err) VX_NOEXCEPT;

	/* Chosen neighbours of the new node on a level (count 0 above entry_level). */
	int vx_insert_plan_neighbors(const VxInsertPlan *plan, int level,
	                             const VxNodeId **ids) VX_NOEXCEPT;
	/* Back-link updates. */
	int vx_insert_plan_update_count(const VxInsertPlan *plan) VX_NOEXCEPT;
	void vx_insert_plan_update(const VxInsertPlan *plan, int i, VxNodeId *node, int *level,
	                           const VxNodeId **old_ids, int *old_count, const VxNodeId **new_ids,
	                           int *new_count) VX_NOEXCEPT;
	void vx_insert_plan_free(VxInsertPlan *plan) VX_NOEXCEPT;

	/*
	 * Plan the repair of a node whose neighbour lists point at deleted nodes
	 * (VACUUM): search again from the entry point, skipping deleted nodes and
	 * the node itself, and choose new lists for every level 0..node_level.
	 * deleted[0..n_deleted) is sorted ascending.  The result reuses
	 * VxInsertPlan: vx_insert_plan_neighbors gives the new lists, and the
	 * updates give back-links from the chosen neighbours to node (deleted ids in
	 * their lists count as free room), applied like an insertion's.
	 */
	VxStatus vx_hnsw_plan_repair(const VxGraphCallbacks *cb, const VxHnswParams *params,
	                             VxNodeId node, const float *vec, int node_level, VxNodeId entry,
	                             int entry_level, const VxNodeId *deleted, int n_deleted,
	                             VxInsertPlan **plan, VxError *err) VX_NOEXCEPT;

	/* ---- in-memory build ---------------------------------------------------- */

	typedef struct VxHnswBuilder VxHnswBuilder;

	/*
	 * A builder holds vectors and their graph in memory, within memory_limit
	 * bytes (vectors, neighbour arrays and bookkeeping all counted).  seed makes
	 * the level draw reproducible.
	 */
	VxStatus vx_hnsw_builder_create(const VxHnswParams *params, size_t memory_limit, uint64_t seed,
	                                VxHnswBuilder **builder, VxError *err) VX_NOEXCEPT;
	/*
	 * Add one vector with a caller payload (the heap TID).  *accepted is 0 when
	 * adding it would pass the memory limit (nothing is added then).  The vector
	 * is only stored; linking happens in vx_hnsw_builder_build.
	 */
	VxStatus vx_hnsw_builder_add(VxHnswBuilder *b, const float *vec, uint64_t payload,
	                             int *accepted, VxError *err) VX_NOEXCEPT;
	/*
	 * Link every added node into the graph using `threads` threads (1 = only the
	 * calling thread).  Worker threads block all signals and never call back;
	 * the calling thread calls cb->check_interrupt (cb may be NULL) and
	 * progress(ctx, nodes_linked) now and then.  All threads are joined before
	 * this returns, also on failure.
	 */
	VxStatus vx_hnsw_builder_build(VxHnswBuilder *b, int threads, const VxGraphCallbacks *cb,
	                               void (*progress)(void *ctx, int64_t done),
	                               VxError *err) VX_NOEXCEPT;

	int64_t vx_hnsw_builder_count(const VxHnswBuilder *b) VX_NOEXCEPT;
	/* Dense index of the entry point (-1 when empty) and its level. */
	int64_t vx_hnsw_builder_entry(const VxHnswBuilder *b, int *level) VX_NOEXCEPT;
	int vx_hnsw_builder_level(const VxHnswBuilder *b, int64_t i) VX_NOEXCEPT;
	uint64_t vx_hnsw_builder_payload(const VxHnswBuilder *b, int64_t i) VX_NOEXCEPT;
	const float *vx_hnsw_builder_vector(const VxHnswBuilder *b, int64_t i) VX_NOEXCEPT;
	/* Neighbours of node i on a level, as dense indexes; returns the count. */
	int vx_hnsw_builder_neighbors(const VxHnswBuilder *b, int64_t i, int level,
	                              const uint32_t **ids) VX_NOEXCEPT;
	/* Bytes the builder would need for one more node (for the memory check). */
	size_t vx_hnsw_builder_bytes_per_node(const VxHnswParams *params) VX_NOEXCEPT;
	void vx_hnsw_builder_free(VxHnswBuilder *b) VX_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* VX_HNSW_H */
