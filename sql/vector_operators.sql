-- Distance and arithmetic operators: values, dimension mismatches, float
-- overflow and underflow, concatenation up to the dimension limit.

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- distance operators and the functions behind them
SELECT '[1,2]'::vector <-> '[4,6]' AS l2, '[1,2]'::vector <#> '[3,4]' AS neg_ip,
	'[1,2]'::vector <=> '[-2,-4]' AS cosine, '[1,2]'::vector <+> '[4,-2]' AS l1;
SELECT ('[1,2,3]'::vector <-> '[3,2,1]') = l2_distance('[1,2,3]', '[3,2,1]') AS l2,
	('[1,2,3]'::vector <#> '[3,2,1]') = -inner_product('[1,2,3]', '[3,2,1]') AS neg_ip,
	('[1,2,3]'::vector <=> '[3,2,1]') = cosine_distance('[1,2,3]', '[3,2,1]') AS cosine,
	('[1,2,3]'::vector <+> '[3,2,1]') = l1_distance('[1,2,3]', '[3,2,1]') AS l1;
SELECT '[0,0]'::vector <=> '[1,1]' AS cosine_of_zero, '[1]'::vector <#> '[-1]' AS neg_ip_positive;
-- commutative
SELECT ('[1,5,2]'::vector <-> '[0,3,9]') = ('[0,3,9]'::vector <-> '[1,5,2]') AS l2,
	('[1,5,2]'::vector <#> '[0,3,9]') = ('[0,3,9]'::vector <#> '[1,5,2]') AS neg_ip,
	('[1,5,2]'::vector <=> '[0,3,9]') = ('[0,3,9]'::vector <=> '[1,5,2]') AS cosine,
	('[1,5,2]'::vector <+> '[0,3,9]') = ('[0,3,9]'::vector <+> '[1,5,2]') AS l1;
-- ordering by distance
CREATE TEMP TABLE items (id int, v vector(2));
INSERT INTO items VALUES (1, '[1,1]'), (2, '[2,2]'), (3, '[-1,3]'), (4, '[0,-5]'), (5, NULL);
SELECT id, v <-> '[1,1]' AS dist FROM items ORDER BY v <-> '[1,1]', id;
SELECT id FROM items ORDER BY v <#> '[1,1]', id;
SELECT id FROM items ORDER BY v <=> '[1,1]', id;
SELECT id FROM items ORDER BY v <+> '[1,1]', id;

-- arithmetic
SELECT '[1,2,3]'::vector + '[4,5,6]' AS add, '[1,2,3]'::vector - '[4,5,6]' AS sub,
	'[1,2,3]'::vector * '[4,5,6]' AS mul, '[1,2]'::vector || '[3]' AS concat;
SELECT '[1.5,-0]'::vector + '[-1.5,0]' AS add_to_zero, '[0]'::vector * '[-3]' AS neg_zero,
	'[0,1e-30]'::vector * '[1e-30,0]' AS zero_times_tiny,
	'[3e38]'::vector - '[3e38]' AS cancel, '[1e-20]'::vector * '[1e-20]' AS small_product;
-- overflow and underflow are errors, never Infinity or a silent zero
SELECT pg_temp.err('SELECT ''[3e38]''::vector + ''[3e38]''') AS add_overflow,
	pg_temp.err('SELECT ''[-3e38]''::vector - ''[3e38]''') AS sub_overflow,
	pg_temp.err('SELECT ''[1,3e38]''::vector * ''[1,3e38]''') AS mul_overflow;
SELECT pg_temp.err('SELECT ''[1e-30]''::vector * ''[1e-30]''') AS mul_underflow,
	pg_temp.err('SELECT ''[2,1e-30]''::vector * ''[3,-1e-30]''') AS mul_underflow_second;
-- operands of different dimensions
SELECT op, pg_temp.err(format('SELECT ''[1,2]''::vector %s ''[1,2,3]''', op)) AS "2 and 3"
FROM unnest(ARRAY['<->', '<#>', '<=>', '<+>', '+', '-', '*']) op;
-- || joins any dimensions, up to the limit
SELECT '[1,2]'::vector || '[3,4,5]' AS concat, vector_dims('[1]'::vector || '[2]') AS dims;
SELECT vector_dims(array_fill(1::real, ARRAY[15999])::vector || '[2]') AS at_limit;
SELECT pg_temp.err('SELECT array_fill(1::real, ARRAY[16000])::vector || ''[1]''') AS past_limit,
	pg_temp.err('SELECT array_fill(1::real, ARRAY[8000])::vector || array_fill(1::real, ARRAY[8001])::vector') AS halves,
	pg_temp.err('SELECT array_fill(1::real, ARRAY[16000])::vector || array_fill(1::real, ARRAY[16000])::vector') AS double_max;

-- the operators' catalog entries
SELECT o.oid::regoperator AS operator, o.oprcode, o.oprcom::regoperator AS commutator,
	o.oprnegate::regoperator AS negator, o.oprrest, o.oprjoin, o.oprresult::regtype AS result
FROM pg_operator o
JOIN pg_depend d ON d.classid = 'pg_operator'::regclass AND d.objid = o.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vector_ext'
ORDER BY o.oprname;
