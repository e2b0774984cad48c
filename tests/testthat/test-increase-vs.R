# The INCREASE VS example data: the synthetic microdata must reproduce every
# published figure (complete cases), its orderings and directions, and the
# raw exports must read back into exactly the shipped data. Oracles: the
# published figures themselves (increase_vs_report, and the CSV it came
# from), utils::read.csv(), stats::glm() and stats::t.test().

answers <- function() panelattrition::increase_vs
starters <- function() panelattrition::increase_vs_frame
report <- function() panelattrition::increase_vs_report

scored <- function() {
  d <- answers()
  d <- score_instrument(d, "mhc_sf", prefix = "mhc")
  d <- score_instrument(d, "gse", prefix = "gse")
  score_instrument(d, "goal_reengagement", prefix = "gre")
}

# Value at wave `from` for each row of wave `to`, matched by person.
earlier <- function(d, column, from, to) {
  a <- d[d$wave == from, ]
  b <- d[d$wave == to, ]
  a[[column]][match(b$id, a$id)]
}

test_that("the published figures are shipped as they were published", {
  path <- system.file("extdata", "increase_vs", "report_figures.csv",
                      package = "panelattrition")
  csv <- utils::read.csv(path, stringsAsFactors = FALSE)
  expect_identical(report(), csv)
  expect_type(report()$value, "double")
  expect_identical(sum(!is.na(report()$value)), 25L)
})

test_that("every numeric figure is reproduced by complete cases", {
  pub <- report()[!is.na(report()$value), ]
  got <- panelattrition:::increase_vs_figures(answers(), starters())
  expect_identical(got$figure, pub$figure)

  counts <- pub$unit == "count"
  expect_identical(got$value[counts], pub$value[counts])

  # within 2 percentage points overall and 5 within a group...
  pct <- !counts
  tolerance <- ifelse(pub$group[pct] == "all", 2, 5)
  off <- abs(got$value[pct] - pub$value[pct])
  expect_true(all(off <= tolerance),
              info = paste(pub$figure[pct][off > tolerance], collapse = ", "))
  # ...and, rounded as the report rounds them, equal to the published ones
  digits <- ifelse(pub$value[pct] %% 1 == 0, 0, 1)
  expect_identical(round(got$value[pct], digits), pub$value[pct])
})

test_that("figures are computed as documented, checked on hand tallies", {
  d <- answers()
  f <- starters()
  got <- panelattrition:::increase_vs_figures(d, f)
  value <- function(name) got$value[got$figure == name]

  t2 <- d[d$wave == "T2", ]
  before <- earlier(d, "employment", "T1", "T2")
  expect_equal(value("no_change_t2"),
               100 * sum(t2$employment == before) / nrow(t2))
  work <- c("employed", "self_employed")
  collab <- t2$approach == "collaborative"
  expect_equal(value("moved_t2_collaborative"),
               100 * sum(t2$employment[collab] %in% work &
                           !before[collab] %in% work) / sum(collab))
  t3 <- d[d$wave == "T3", ]
  expect_equal(value("selfemployed_t3_integrated"),
               100 * mean(t3$employment[t3$approach == "integrated"] ==
                            "self_employed"))
  expect_equal(value("resp_t2"), 100 * nrow(t2) / sum(f$completed))
  expect_equal(value("start_any_change"),
               100 * sum(f$business_created | f$job | f$further_training) /
                 nrow(f))
})

test_that("sample sizes and dropout follow the reading of the report", {
  d <- answers()
  f <- starters()
  expect_identical(as.vector(table(d$wave)), c(1249L, 430L, 290L))
  expect_identical(nrow(f), 6259L)
  expect_identical(sum(f$completed), 4526L)
  t1 <- d[d$wave == "T1", ]
  expect_identical(as.vector(table(t1$approach)), c(540L, 349L, 195L, 165L))

  panel <- panel_data(d, id = "id", wave = "wave", frame = f)
  s <- summary(panel)
  expect_true(s$monotone)
  expect_identical(s$n_respondents, 1249L)
  expect_identical(sort(response_pattern(panel)$pattern),
                   c("000", "100", "110", "111"))
  # the survey's base is the people who completed the training
  expect_true(all(f$completed[match(unique(d$id), f$id)]))
})

test_that("answers agree with the programme records", {
  d <- answers()
  f <- starters()
  expect_false(anyDuplicated(f$id) > 0)
  expect_identical(f$id, sort(f$id))
  expect_identical(order(d$id, d$wave), seq_len(nrow(d)))
  row <- match(d$id, f$id)
  for (v in c("partner", "approach", "country", "gender", "age")) {
    expect_identical(d[[v]], f[[v]][row], info = v)
  }
  # country and approach follow from the partner, as the script assumes
  pairs <- unique(f[c("partner", "approach", "country")])
  expect_identical(nrow(pairs), 9L)
  assumed <- c(Optivo = "integrated", Abri = "integrated",
               Clarion = "parallel", "Archipel Habitat" = "collaborative",
               NEOTOA = "collaborative", WeKer = "collaborative",
               "Pas-de-Calais Habitat" = "collective",
               Logirep = "collective", INCO = "collective")
  expect_identical(as.character(pairs$approach),
                   unname(assumed[as.character(pairs$partner)]))
  expect_identical(as.character(pairs$country),
                   ifelse(pairs$approach %in% c("integrated", "parallel"),
                          "England", "France"))
  expect_true(all(f$months_out_of_work[f$prior_status == "in_work"] == 0L))
})

test_that("monitoring outcomes are exclusive and match T3 for completers", {
  d <- answers()
  f <- starters()
  flags <- cbind(f$business_created, f$job, f$further_training)
  expect_true(all(rowSums(flags) <= 1))
  # for completers the records hold the T3 status the survey asks about
  t3 <- d[d$wave == "T3", ]
  first <- earlier(d, "employment", "T1", "T3")
  rec <- f[match(t3$id, f$id), ]
  new_business <- t3$employment == "self_employed" & first != "self_employed"
  new_job <- t3$employment == "employed" & first != "employed"
  expect_identical(rec$business_created, new_business)
  expect_identical(rec$job, new_job)
})

test_that("items are in range and skipped only within the scoring rules", {
  d <- answers()
  ranges <- list(mhc = c(0L, 5L, 14L), gse = c(1L, 4L, 10L),
                 gre = c(1L, 5L, 6L))
  for (p in names(ranges)) {
    r <- ranges[[p]]
    x <- as.matrix(d[paste0(p, seq_len(r[3]))])
    expect_type(x, "integer")
    expect_true(all(x >= r[1] & x <= r[2], na.rm = TRUE), info = p)
  }
  expect_false(anyNA(d[paste0("mhc", 1:14)]))
  expect_gt(sum(is.na(d[paste0("gse", 1:10)])), 0)
  expect_gt(sum(is.na(d[paste0("gre", 1:6)])), 0)
  s <- scored()
  scores <- c("mhc_total", "mhc_emotional", "mhc_social",
              "mhc_psychological", "gse_total", "gre_total")
  expect_false(anyNA(s[scores]))
  expect_false(anyNA(mhc_category(d)))

  rated <- d$wave == "T2"
  expect_false(anyNA(d$satisfaction[rated]))
  expect_true(all(is.na(d$satisfaction[!rated])))
  expect_true(all(is.na(d$usefulness[!rated])))
  expect_true(all(d$usefulness[rated] %in% 1:5))

  # internal consistency as the instruments report it (alpha above .80)
  alpha <- function(x) {
    x <- x[stats::complete.cases(x), ]
    k <- ncol(x)
    k / (k - 1) * (1 - sum(apply(x, 2, stats::var)) / stats::var(rowSums(x)))
  }
  t1 <- d[d$wave == "T1", ]
  expect_gt(alpha(t1[paste0("mhc", 1:14)]), 0.8)
  expect_gt(alpha(t1[paste0("gse", 1:10)]), 0.8)
  expect_gt(alpha(t1[paste0("gre", 1:6)]), 0.8)
})

test_that("satisfaction and usefulness are ordered as the report says", {
  t2 <- answers()[answers()$wave == "T2", ]
  for (v in c("satisfaction", "usefulness")) {
    m <- tapply(t2[[v]], t2$approach, mean)
    # integrated and parallel alike, both well above the French approaches
    expect_lt(abs(m[["integrated"]] - m[["parallel"]]), 0.2, label = v)
    expect_gt(min(m[c("integrated", "parallel")]) -
                max(m[c("collaborative", "collective")]), 0.5, label = v)
    by_partner <- tapply(t2[[v]], t2$partner, mean)
    best <- names(sort(by_partner, decreasing = TRUE))[1:3]
    expect_setequal(best, c("Abri", "Clarion", "Optivo"))
  }
})

test_that("wellbeing, self-efficacy and goal scores rise at T2 and T3", {
  s <- scored()
  outcomes <- c("mhc_emotional", "mhc_social", "mhc_psychological", "mhc3",
                "gse_total", "gre_total")
  for (v in outcomes) {
    means <- tapply(s[[v]], s$wave, mean)
    expect_gt(means[["T2"]], means[["T1"]], label = v)
    expect_gt(means[["T3"]], means[["T1"]], label = v)
    for (w in c("T2", "T3")) {
      later <- s[s$wave == w, ]
      change <- later[[v]] - earlier(s, v, "T1", w)
      expect_lt(stats::t.test(change)$p.value, 0.001, label = paste(v, w))
      # uniform across the programme: up in every approach
      by_approach <- tapply(change, later$approach, mean)
      expect_true(all(by_approach > 0), label = paste(v, w))
    }
  }
})

test_that("self-efficacy predicts moves into work and goes with wellbeing", {
  s <- scored()
  work <- c("employed", "self_employed")
  for (w in c("T2", "T3")) {
    later <- s[s$wave == w, ]
    out_of_work <- !earlier(s, "employment", "T1", w) %in% work
    d <- data.frame(
      moved = later$employment[out_of_work] %in% work,
      gse = earlier(s, "gse_total", "T1", w)[out_of_work],
      approach = later$approach[out_of_work]
    )
    fit <- stats::glm(moved ~ gse + approach, family = stats::binomial(),
                      data = d)
    coefs <- summary(fit)$coefficients
    expect_gt(coefs["gse", "Estimate"], 0)
    expect_lt(coefs["gse", "Pr(>|z|)"], 0.01)
  }
  t1 <- s[s$wave == "T1", ]
  expect_gt(stats::cor(t1$gse_total, t1$mhc_total), 0.3)
})

# The raw exports, read as a user would, recoded with the French
# questionnaire's labels, give back exactly the shipped data.
rebuild_from_exports <- function() {
  dir <- system.file("extdata", "increase_vs", package = "panelattrition")
  waves <- c("T1", "T2", "T3")
  files <- function(country) {
    stats::setNames(file.path(dir, sprintf("%s_%s.csv", country, waves)),
                    waves)
  }
  england <- read_waves(files("england"), id = "id")
  france <- read_waves(files("france"), id = "id")

  french_gender <- c("F\u00e9minin" = "female", "Masculin" = "male")
  french_employment <- c("sans emploi" = "unemployed",
                         "salari\u00e9" = "employed",
                         "ind\u00e9pendant" = "self_employed",
                         "en formation" = "training",
                         "inactif" = "inactive")
  france$gender <- unname(french_gender[france$gender])
  france$employment <- unname(french_employment[france$employment])

  codebook <- list(
    partner = c("Optivo", "Abri", "Clarion", "Archipel Habitat", "NEOTOA",
                "WeKer", "Pas-de-Calais Habitat", "Logirep", "INCO"),
    approach = c("integrated", "parallel", "collaborative", "collective"),
    country = c("England", "France"),
    gender = c("female", "male"),
    employment = c("unemployed", "employed", "self_employed", "training",
                   "inactive"),
    prior_status = c("unemployed", "inactive", "in_work")
  )
  as_factors <- function(df) {
    for (v in intersect(names(codebook), names(df))) {
      df[[v]] <- factor(df[[v]], levels = codebook[[v]])
    }
    df
  }
  columns <- c("id", "wave", "partner", "approach", "country", "gender",
               "age", "employment", paste0("mhc", 1:14), paste0("gse", 1:10),
               paste0("gre", 1:6), "satisfaction", "usefulness")
  long <- as_factors(rbind(england[columns], france[columns]))
  frame <- as_factors(read_survey(file.path(dir, "frame.csv")))
  attributes(frame) <- attributes(frame)[c("names", "class", "row.names")]
  panel <- panel_data(long, id = "id", wave = "wave", frame = frame)
  list(answers = panel$data, frame = frame, england = england,
       france = france)
}

test_that("the raw exports rebuild increase_vs and its frame exactly", {
  r <- rebuild_from_exports()
  expect_identical(r$answers, answers())
  expect_identical(r$frame, starters())
})

test_that("the raw exports look like the platforms' exports", {
  dir <- system.file("extdata", "increase_vs", package = "panelattrition")
  en <- read_survey(file.path(dir, "england_T2.csv"))
  expect_identical(attr(en, "delim"), ",")
  expect_identical(attr(en, "encoding"), "UTF-8")
  labels <- attr(en, "labels")
  expect_identical(labels[["mhc1"]],
                   "Wellbeing in the past month - Wellbeing item 1")
  expect_true(all(c("StartDate", "ResponseId", "Duration (in seconds)") %in%
                    names(en)))
  # a BOM, CRLF line ends and the three header rows
  raw <- readBin(file.path(dir, "england_T2.csv"), "raw", 3L)
  expect_identical(raw, as.raw(c(0xef, 0xbb, 0xbf)))
  first <- readLines(file.path(dir, "england_T2.csv"), n = 3L,
                     encoding = "UTF-8")
  expect_match(first[3], "^\"\\{\"\"ImportId\"\"")

  fr <- read_survey(file.path(dir, "france_T2.csv"))
  expect_identical(attr(fr, "delim"), ";")
  expect_identical(attr(fr, "decimal"), ",")
  expect_identical(attr(fr, "encoding"), "latin1")
  expect_type(fr$duree_min, "double")
  expect_true(all(fr$duree_min %% 1 > 0))
  expect_true("F\u00e9minin" %in% fr$gender)
  # the same bytes read by utils::read.csv2 with the declared encoding
  ref <- utils::read.csv2(file.path(dir, "france_T2.csv"),
                          encoding = "latin1", stringsAsFactors = FALSE)
  expect_equal(fr$duree_min, ref$duree_min)
  expect_identical(fr$employment, ref$employment)

  sizes <- file.size(list.files(dir, full.names = TRUE))
  expect_lt(sum(sizes), 1.5 * 1024^2)
})

test_that("the help pages say the microdata are synthetic", {
  rd <- tools::Rd_db("panelattrition")
  for (page in c("increase_vs.Rd", "increase_vs_frame.Rd")) {
    text <- paste(as.character(rd[[page]]), collapse = "")
    expect_match(text, "synthetic", ignore.case = TRUE, label = page)
    expect_match(text, "data-raw/increase_vs.R", fixed = TRUE, label = page)
  }
})
