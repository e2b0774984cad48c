# `make demo`: from the raw survey exports of three waves to a panel and
# its response pattern. Later work extends this to weights and estimates.
library(panelattrition)

files <- c(
  T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
  T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
  T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
)

cat("Reading the exports\n")
for (w in names(files)) {
  x <- read_survey(files[[w]])
  cat(sprintf("  %s  %-10s %4d rows, %2d columns, delimiter '%s', decimal '%s', %s\n",
              w, basename(files[[w]]), nrow(x), ncol(x),
              gsub("\t", "\\\\t", attr(x, "delim")), attr(x, "decimal"),
              attr(x, "encoding")))
}

answers <- read_waves(files, id = "id")
cat(sprintf("\n%d answers from %d people in %d waves\n\n", nrow(answers),
            length(unique(answers$id)), nlevels(answers$wave)))

panel <- panel_data(answers, id = "id", wave = "wave",
                    baseline = c("group", "gender", "age"))
print(panel)
cat("\n")
print(response_pattern(panel))
cat("\n")
print(summary(panel))
