// Class labels of a batch (shared/labels): parsing the choice, each class in turn, seeded random
// labels against the python reference, and a batch split by first_sample giving the same labels.
#include <catch2/catch.hpp>

#include "labels.hpp"

using namespace ddpm;

TEST_CASE("label choices parse, and bad ones name the text and what is expected", "[labels]") {
  CHECK(parse_label_choice("none", 10).mode == LabelMode::none);
  CHECK(parse_label_choice("none", 0).mode == LabelMode::none);
  CHECK(parse_label_choice("each", 10).mode == LabelMode::each);
  CHECK(parse_label_choice("random", 10).mode == LabelMode::random);
  const LabelChoice seven = parse_label_choice("7", 10);
  CHECK(seven.mode == LabelMode::fixed);
  CHECK(seven.label == 7);
  CHECK(parse_label_choice("0", 1).label == 0);

  for (const char* bad : {"10", "-1", "+3", " 3", "3 ", "3.0", "seven", "", "99999999999"})
    CHECK_THROWS_WITH(parse_label_choice(bad, 10),
                      std::string(bad) + ": expected a class in 0..9, each, random or none");
  for (const char* bad : {"each", "random", "0"})
    CHECK_THROWS_WITH(parse_label_choice(bad, 0),
                      std::string(bad) + ": expected none (the model is unconditional)");
}

TEST_CASE("labels of a batch: none, fixed, each class in turn", "[labels]") {
  CHECK(make_labels({}, 10, 1, 0, 5).empty());
  CHECK(make_labels({LabelMode::fixed, 3}, 10, 1, 0, 3) == std::vector<int>{3, 3, 3});
  CHECK(make_labels({LabelMode::each, -1}, 10, 1, 0, 12) ==
        std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1});
  CHECK(make_labels({LabelMode::each, -1}, 3, 1, 5, 4) == std::vector<int>{2, 0, 1, 2});
  CHECK_THROWS(make_labels({LabelMode::fixed, 10}, 10, 1, 0, 2));
  CHECK_THROWS(make_labels({LabelMode::each, -1}, 0, 1, 0, 2));
}

TEST_CASE("random labels follow the reference stream, and a split batch gets the same ones",
          "[labels]") {
  // tests/cpp/core/make_reference.py: "random labels, seed s, K = 10" (its own Philox)
  const std::vector<int> seed1{8, 4, 1, 8, 6, 5, 2, 3, 3, 3, 0, 9};
  const std::vector<int> seed5{5, 9, 5, 4, 8, 8, 8, 1, 6, 0, 9, 1};
  const LabelChoice random{LabelMode::random, -1};
  CHECK(make_labels(random, 10, 1, 0, 12) == seed1);
  CHECK(make_labels(random, 10, 5, 0, 12) == seed5);

  // samples 0..4 and 5..11 of the run, as two workers draw them
  std::vector<int> split = make_labels(random, 10, 1, 0, 5);
  const std::vector<int> rest = make_labels(random, 10, 1, 5, 7);
  split.insert(split.end(), rest.begin(), rest.end());
  CHECK(split == seed1);
}
