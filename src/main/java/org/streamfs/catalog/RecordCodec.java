package org.streamfs.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.StreamingOperation;

/**
 * The value codec of the catalog's records: JSON objects (Jackson, instants as ISO-8601 strings) of the
 * record's fields plus a {@code "v"} field holding the record schema version. Decoding checks the version
 * and that the record agrees with the key it was stored under, and turns every failure into
 * {@link ChunkMetadataCorruptException} naming the operation and what failed.
 */
final class RecordCodec {
  /** Version of the record layout written by this code; records with a higher one are refused. */
  static final int VERSION = 1;

  private static final String VERSION_FIELD = "v";

  private final ObjectMapper mapper = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

  byte[] encode(Object record) {
    ObjectNode node = mapper.createObjectNode();
    node.put(VERSION_FIELD, VERSION);
    node.setAll((ObjectNode) mapper.valueToTree(record));
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode catalog record " + record, e);
    }
  }

  StreamingOperation decodeOperation(String operationId, byte[] value) throws ChunkMetadataCorruptException {
    StreamingOperation op = decode(operationId, "operation record", value, StreamingOperation.class);
    if (!operationId.equals(op.operationId())) {
      throw corrupt(operationId, "operation record", "it names operation " + op.operationId(), null);
    }
    if (op.kind() == null || op.status() == null) {
      throw corrupt(operationId, "operation record", "kind or status missing", null);
    }
    return op;
  }

  ChunkMetadata decodeChunk(String operationId, int index, byte[] value) throws ChunkMetadataCorruptException {
    String what = "chunk record " + index;
    ChunkMetadata chunk = decode(operationId, what, value, ChunkMetadata.class);
    if (chunk.chunkIndex() != index) {
      throw corrupt(operationId, what, "it names chunk " + chunk.chunkIndex(), null);
    }
    return chunk;
  }

  SagaStep decodeSagaStep(String operationId, long sequence, byte[] value)
      throws ChunkMetadataCorruptException {
    String what = "saga step " + sequence;
    SagaStep step = decode(operationId, what, value, SagaStep.class);
    if (!operationId.equals(step.operationId()) || step.sequence() != sequence) {
      throw corrupt(operationId, what, "it names operation " + step.operationId() + " step "
          + step.sequence(), null);
    }
    if (step.action() == null) {
      throw corrupt(operationId, what, "action missing", null);
    }
    return step;
  }

  private <T> T decode(String operationId, String what, byte[] value, Class<T> type)
      throws ChunkMetadataCorruptException {
    JsonNode tree;
    try {
      tree = mapper.readTree(value);
    } catch (JsonProcessingException e) {
      throw corrupt(operationId, what, "not JSON (" + e.getOriginalMessage() + ")", e);
    } catch (IOException e) {
      throw corrupt(operationId, what, "not JSON", e);
    }
    if (tree == null || !tree.isObject()) {
      throw corrupt(operationId, what, "not a JSON object", null);
    }
    JsonNode version = tree.get(VERSION_FIELD);
    if (version == null || !version.canConvertToInt()) {
      throw corrupt(operationId, what, "record version field \"v\" missing", null);
    }
    if (version.intValue() > VERSION || version.intValue() < 1) {
      throw corrupt(operationId, what, "record version " + version.intValue() + " (this streamfs reads "
          + "version " + VERSION + ")", null);
    }
    ((ObjectNode) tree).remove(VERSION_FIELD);
    try {
      T record = mapper.treeToValue(tree, type);
      if (record == null) {
        throw corrupt(operationId, what, "empty record", null);
      }
      return record;
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw corrupt(operationId, what, "cannot decode " + type.getSimpleName() + ": "
          + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
    }
  }

  private static ChunkMetadataCorruptException corrupt(String operationId, String what, String detail,
      Throwable cause) {
    return new ChunkMetadataCorruptException(operationId, what + ": " + detail, cause);
  }
}
