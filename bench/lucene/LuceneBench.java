// Apache Lucene 8 as a portal would set it up, for scripts/bench:
//   java LuceneBench index FIELDS_TSV INDEX_DIR
//   java LuceneBench search INDEX_DIR QUERIES_TSV STREAMS WARMUP_S DURATION_S JSON_OUT
// FIELDS_TSV is bench_export_fields output (id, name, other names, summary,
// body; COPY text escaping). QUERIES_TSV has group, query and comma-separated
// judged ids per line. EnglishAnalyzer, BM25Similarity, the query parsed over
// the four fields with OR between words and no field boosts (each field has
// its own IDF: boosting them 10/4/2/1, as the other engines weight them, let
// rare name words swamp the rest; hit@10 on MedQuAD fell from 0.54 to 0.19).
// Search warms the JVM
// on the whole query set before anything is timed, then measures hit@10 and
// each stream count (1,8,32) with one thread per stream over one shared
// IndexSearcher, and writes an EngineResult (bench/bench_result.proto) as JSON.
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.queryparser.classic.MultiFieldQueryParser;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;

public final class LuceneBench {
  private static final String ENGINE = "lucene8";
  private static final String[] FIELDS = {"name", "other_names", "summary", "body"};

  private record JudgedQuery(String group, String text, Set<String> relevant) {}

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("index")) {
      index(args[1], args[2]);
    } else if (args.length == 7 && args[0].equals("search")) {
      search(args[1], args[2], args[3], Double.parseDouble(args[4]), Double.parseDouble(args[5]),
          args[6]);
    } else {
      System.err.println("usage: LuceneBench index FIELDS_TSV INDEX_DIR | "
          + "search INDEX_DIR QUERIES_TSV STREAMS WARMUP_S DURATION_S JSON_OUT");
      System.exit(2);
    }
  }

  // Undoes PostgreSQL COPY text escaping.
  private static String unescape(String field) {
    if (field.indexOf('\\') < 0) return field;
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); ++i) {
      char c = field.charAt(i);
      if (c != '\\' || i + 1 == field.length()) {
        out.append(c);
        continue;
      }
      char next = field.charAt(++i);
      out.append(next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next);
    }
    return out.toString();
  }

  private static void index(String fieldsPath, String indexDir) throws IOException {
    IndexWriterConfig config = new IndexWriterConfig(new EnglishAnalyzer());
    config.setSimilarity(new BM25Similarity());
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    config.setRAMBufferSizeMB(256);
    long records = 0;
    try (IndexWriter writer = new IndexWriter(FSDirectory.open(Paths.get(indexDir)), config);
         BufferedReader in = Files.newBufferedReader(Paths.get(fieldsPath), StandardCharsets.UTF_8)) {
      for (String line; (line = in.readLine()) != null; ++records) {
        String[] parts = line.split("\t", -1);
        Document doc = new Document();
        doc.add(new StringField("id", unescape(parts[0]), Field.Store.YES));
        for (int i = 0; i < FIELDS.length; ++i) {
          doc.add(new TextField(FIELDS[i], unescape(parts[i + 1]), Field.Store.NO));
        }
        writer.addDocument(doc);
      }
      writer.forceMerge(1);
      writer.commit();
    }
    System.out.println(records + " records");
  }

  private static List<JudgedQuery> readQueries(String path) throws IOException {
    List<JudgedQuery> queries = new ArrayList<>();
    for (String line : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
      if (line.isEmpty()) continue;
      String[] parts = line.split("\t", -1);
      Set<String> relevant = new HashSet<>();
      if (parts.length > 2 && !parts[2].isEmpty()) relevant.addAll(Arrays.asList(parts[2].split(",")));
      queries.add(new JudgedQuery(parts[0], parts[1], relevant));
    }
    return queries;
  }

  // Not thread-safe (the parser): one per stream.
  private static final class Searcher {
    private final IndexSearcher searcher;
    private final QueryParser parser;

    Searcher(IndexSearcher searcher, Analyzer analyzer) {
      this.searcher = searcher;
      this.parser = new MultiFieldQueryParser(FIELDS, analyzer);
    }

    List<String> topTen(String text) throws IOException, ParseException {
      Query query = parser.parse(QueryParser.escape(text));
      List<String> ids = new ArrayList<>(10);
      for (ScoreDoc hit : searcher.search(query, 10).scoreDocs) {
        ids.add(searcher.doc(hit.doc).get("id"));
      }
      return ids;
    }
  }

  private static double percentile(double[] sorted, double fraction) {
    int rank = (int) Math.ceil(fraction * sorted.length);
    return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
  }

  private static String run(int streams, double warmupSeconds, double durationSeconds,
      List<JudgedQuery> queries, IndexSearcher indexSearcher, Analyzer analyzer)
      throws InterruptedException {
    AtomicLong next = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime() + (long) (warmupSeconds * 1e9);
    long end = start + (long) (durationSeconds * 1e9);
    List<List<Double>> latencies = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int s = 0; s < streams; ++s) {
      List<Double> mine = new ArrayList<>();
      latencies.add(mine);
      Thread thread = new Thread(() -> {
        Searcher searcher = new Searcher(indexSearcher, analyzer);
        for (long before = System.nanoTime(); before < end; before = System.nanoTime()) {
          JudgedQuery query = queries.get((int) (next.getAndIncrement() % queries.size()));
          boolean ok = true;
          try {
            searcher.topTen(query.text());
          } catch (Exception e) {
            ok = false;
          }
          if (before < start) continue;
          if (ok) {
            mine.add((System.nanoTime() - before) / 1e6);
          } else {
            errors.incrementAndGet();
          }
        }
      });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) thread.join();
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Double> all = new ArrayList<>();
    for (List<Double> mine : latencies) all.addAll(mine);
    Collections.sort(all);
    double[] sorted = all.stream().mapToDouble(Double::doubleValue).toArray();
    double qps = sorted.length / seconds;
    return String.format(Locale.ROOT,
        "{\"engine\": \"%s\", \"streams\": %d, \"qps\": %.3f, \"p50_ms\": %.4f, \"p90_ms\": %.4f, "
            + "\"p99_ms\": %.4f, \"errors\": \"%d\"}",
        ENGINE, streams, qps, sorted.length == 0 ? 0 : percentile(sorted, 0.5),
        sorted.length == 0 ? 0 : percentile(sorted, 0.9),
        sorted.length == 0 ? 0 : percentile(sorted, 0.99), errors.get());
  }

  private static String jsonString(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }

  private static void search(String indexDir, String queriesPath, String streamList,
      double warmupSeconds, double durationSeconds, String jsonOut) throws Exception {
    List<JudgedQuery> queries = readQueries(queriesPath);
    Analyzer analyzer = new EnglishAnalyzer();
    try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(Paths.get(indexDir)))) {
      IndexSearcher indexSearcher = new IndexSearcher(reader);
      indexSearcher.setSimilarity(new BM25Similarity());
      Searcher searcher = new Searcher(indexSearcher, analyzer);
      for (int pass = 0; pass < 3; ++pass) {
        for (JudgedQuery query : queries) searcher.topTen(query.text());
      }

      Map<String, int[]> byGroup = new TreeMap<>();  // group -> {queries, hits}
      int judged = 0;
      int hits = 0;
      for (JudgedQuery query : queries) {
        if (query.relevant().isEmpty()) continue;
        boolean hit = false;
        for (String id : searcher.topTen(query.text())) hit |= query.relevant().contains(id);
        int[] count = byGroup.computeIfAbsent(query.group(), g -> new int[2]);
        ++count[0];
        ++judged;
        if (hit) {
          ++count[1];
          ++hits;
        }
      }
      List<String> groups = new ArrayList<>();
      for (Map.Entry<String, int[]> entry : byGroup.entrySet()) {
        groups.add(String.format(Locale.ROOT, "%s: %.6f", jsonString(entry.getKey()),
            (double) entry.getValue()[1] / entry.getValue()[0]));
      }
      List<String> runs = new ArrayList<>();
      for (String streams : streamList.split(",")) {
        runs.add(run(Integer.parseInt(streams.trim()), warmupSeconds, durationSeconds, queries,
            indexSearcher, analyzer));
      }
      try (PrintWriter out = new PrintWriter(jsonOut, StandardCharsets.UTF_8)) {
        out.printf(Locale.ROOT,
            "{\"engine\": \"%s\", \"notes\": %s, \"relevance\": {\"queries\": %d, "
                + "\"hit_at_10\": %.6f, \"hit_at_10_by_group\": {%s}}, \"runs\": [%s]}%n",
            ENGINE, jsonString("EnglishAnalyzer, BM25, MultiFieldQueryParser OR over the 4 fields, unboosted; "
                + "JVM warmed on 3 passes of the queries"),
            judged, judged == 0 ? 0 : (double) hits / judged, String.join(", ", groups),
            String.join(", ", runs));
      }
    }
  }
}
