-- One pre-minted token per request, never sent twice. Arguments (after --):
--   mode tokensFile threads [method] [bodyFile]
--   mode bearer : "Authorization: Bearer <token>" (method and body as given, default GET)
--   mode consume: POST {"token":"<token>"} as JSON (the Vault's /consume-token)
-- Thread t takes lines t, t+threads, t+2*threads… of the file; a thread that runs out of tokens
-- stops (wrk.thread:stop) and done() reports how many did, so a short file cannot pass unnoticed.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local mode, tokens, nextToken, headers, body

function init(args)
  mode = args[1]
  local nthreads = tonumber(args[3] or "1")
  wrk.method = args[4] or (mode == "consume" and "POST" or "GET")
  if args[5] ~= nil and args[5] ~= "-" then body = readFile(args[5]) end
  headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  if mode == "consume" then headers["Content-Type"] = "application/json" end
  tokens = {}
  local i = 0
  for line in io.lines(args[2]) do
    if line ~= "" then
      if i % nthreads == tid then tokens[#tokens + 1] = line end
      i = i + 1
    end
  end
  nextToken = 1
end

local function take()
  local t = tokens[nextToken]
  if t == nil then
    exhausted = 1
    wrk.thread:stop()
    return "exhausted"
  end
  nextToken = nextToken + 1
  return t
end

function request()
  if mode == "consume" then
    return wrk.format(nil, nil, headers, '{"token":"' .. take() .. '"}')
  end
  headers["Authorization"] = "Bearer " .. take()
  return wrk.format(nil, nil, headers, body)
end
