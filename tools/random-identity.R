# Random-panel identity check: the estimators on 60 random small panels
# (with and without a design, fpc, lonely-PSU rules, a frame, intermittent
# response, stabilised or not; numeric, binary, logical, integer,
# character and factor outcomes with missing values; groups as text and as
# factors with unused levels; means, changes, transitions, contrasts,
# tipping points, the doubly robust and complete-case estimators), whose
# results (errors included) must stay identical() under a refactoring, as
# tools/identity.R checks its fixed calls.
#
#   R_LIBS=.lib Rscript tools/random-identity.R save    /tmp/random.rds
#   R_LIBS=.lib Rscript tools/random-identity.R compare /tmp/random.rds

args <- commandArgs(trailingOnly = TRUE)
mode <- if (length(args)) args[1] else "compare"
file <- if (length(args) > 1L) args[2] else "/tmp/random-identity.rds"
suppressPackageStartupMessages(library(panelattrition))
res <- list()
rec <- function(key, expr) {
  v <- tryCatch(suppressMessages(suppressWarnings(expr)), error = function(e) list(error = class(e), msg = conditionMessage(e)))
  if (is.data.frame(v) || is.list(v)) attr(v, "call") <- NULL
  if (!is.null(v$call)) v$call <- NULL
  res[[key]] <<- v
}
for (seed in 1:60) {
  set.seed(seed)
  n <- sample(c(30, 80, 200, 600), 1)
  ids <- sprintf("p%03d", sample(n))
  g <- sample(c("a", "b", "c", "d")[seq_len(sample(2:4, 1))], n, TRUE)
  str <- sample.int(3, n, TRUE); hh <- paste(str, sample.int(max(2, n %/% 6), n, TRUE))
  age <- round(runif(n, 18, 70))
  bw <- if (seed %% 3 == 0) round(runif(n, 1, 4), 2) else rep(1, n)
  y1 <- round(rnorm(n, 50, 10), 1)
  long <- do.call(rbind, lapply(1:3, function(t) {
    keep <- if (t == 1) rep(TRUE, n) else runif(n) < plogis(1.2 - 0.03 * (y1 - 50) + 0.3 * (g == "a"))
    if (t == 3) keep <- keep & runif(n) < 0.8
    data.frame(id = ids, wave = paste0("T", t), g = g, gf = factor(g, levels = c(rev(sort(unique(g))), "zz")),
               yi = as.integer(round(y1)), yfac = factor(sample(c("x", "y"), n, TRUE), levels = c("y", "x", "w")),
               age = age, str = str, hh = hh, bw = bw,
               y = ifelse(runif(n) < 0.05, NA, round(y1 + t + rnorm(n, 0, 4), 1)),
               b = ifelse(runif(n) < 0.05, NA, as.numeric(runif(n) < plogis((y1 - 50) / 10))),
               lg = ifelse(runif(n) < 0.05, NA, runif(n) < 0.4),
               cat = ifelse(runif(n) < 0.05, NA, sample(c("lo", "mid", "hi"), n, TRUE)),
               st = sample(c("emp", "unemp"), n, TRUE), yf = round(y1 + t + rnorm(n, 0, 4), 1))[keep, ]
  }))
  long <- long[sample(nrow(long)), ]
  design <- seed %% 2 == 0
  lonely <- c("adjust", "remove", "average", "fail")[seed %% 4 + 1]
  long$pop <- 10 * ave(rep(1, nrow(long)), long$str, FUN = length)
  frame <- if (seed %% 5 == 0) {
    fr <- data.frame(id = c(ids, sprintf("q%03d", seq_len(n %/% 4))))
    fr$g <- sample(unique(g), nrow(fr), TRUE); fr$gf <- factor(fr$g, levels = levels(long$gf)); fr$age <- round(runif(nrow(fr), 18, 70))
    fr$str <- sample.int(3, nrow(fr), TRUE); fr$hh <- paste(fr$str, sample.int(max(2, n %/% 6), nrow(fr), TRUE)); fr$bw <- 1; fr$pop <- 1000
    long <- long[long$id %in% ids, ]
    m <- match(long$id, fr$id); for (v in c("g", "gf", "age", "str", "hh", "bw", "pop")) long[[v]] <- fr[[v]][m]
    fr
  }
  panel <- tryCatch(if (design) panel_data(long, id = "id", wave = "wave", frame = frame, baseline = c("g", "gf", "age", "str", "hh", "bw", "pop"), strata = "str", cluster = "hh", fpc = if (seed %% 3 == 0) "pop", nest = TRUE, lonely_psu = lonely) else panel_data(long, id = "id", wave = "wave", frame = frame, baseline = c("g", "gf", "age", "bw")), error = function(e) NULL)
  if (is.null(panel)) next
  w <- tryCatch(attrition_weights(panel, ~ g + age, base = "bw", monotone = seed %% 4 != 1, stabilize = seed %% 7 != 3), error = function(e) NULL)
  if (is.null(w)) next
  for (by in list(NULL, "g", "gf")) {
    for (se in c("sandwich", "naive")) {
      k <- paste(seed, if (is.null(by)) "none" else by, se)
      rec(paste(k, "means"), wave_means(w, c("y", "b", "lg", "cat"), by = by, se = se, min_n = 3))
      rec(paste(k, "means2"), wave_means(w, c("yi", "yfac"), by = by, se = se, min_n = 3))
      rec(paste(k, "change"), panel_change(w, "y", by = by, se = se, min_n = 3))
      rec(paste(k, "change12"), panel_change(w, "b", from = "T1", to = "T2", by = by, se = se, min_n = 3))
      rec(paste(k, "trans"), transitions(w, "st", by = by, se = se, min_n = 3))
      m <- tryCatch(suppressMessages(wave_means(w, "y", by = by, se = se, min_n = 3)), error = function(e) NULL)
      if (!is.null(m)) {
        rec(paste(k, "tip"), tipping_point(m, delta = c(-2, 0, 2), null = 50)); rec(paste(k, "tipb"), tipping_point(suppressMessages(wave_means(w, "b", by = by, se = se, min_n = 3)), delta = c(-0.5, 0.5), null = 0.5, w = w))
        if (!is.null(by)) rec(paste(k, "cmp"), compare_groups(m))
      }
      rec(paste(k, "aipw"), wave_means(w, "y", by = by, estimator = "aipw", min_n = 3)); rec(paste(k, "aipwf"), wave_means(w, "yf", by = by, estimator = "aipw", min_n = 3))
      rec(paste(k, "cc"), wave_means(w, "y", by = by, estimator = "complete_case", min_n = 3))
    }
  }
}
if (mode == "save") {
  saveRDS(res, file)
  cat(sprintf("saved %d results to %s\n", length(res), file))
} else {
  old <- readRDS(file)
  if (!identical(names(old), names(res))) {
    stop("the calls differ from the saved ones: ", file)
  }
  differ <- names(res)[!mapply(identical, old, res)]
  cat(sprintf("compared %d results: %d identical, %d differ\n", length(res),
              length(res) - length(differ), length(differ)))
  if (length(differ)) {
    cat("differ:", utils::head(differ, 20), sep = "\n  ")
    quit(status = 1)
  }
}
