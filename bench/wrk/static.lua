-- The same request every time (no request() function, so wrk builds it once per thread).
-- Arguments (after --): method [bodyFile]. Headers come from wrk's -H options.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

function init(args)
  wrk.method = args[1] or "GET"
  if args[2] ~= nil and args[2] ~= "-" then wrk.body = readFile(args[2]) end
end
