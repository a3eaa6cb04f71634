// A JAX-WS client that sends an AppDocument as MTOM, written against the classes `wsimport`
// generates from the gateway's published WSDL of a Rosreestr-style SID (the demo SID0003564's
// bundle), as a Java developer would:
//   wsimport -keep -s src -d classes -Xnocompile <gateway>/gateway/services/SID…?wsdl
//   javac -cp <jaxws jars> -d classes src/**/*.java MtomAppDocumentClient.java
//   java -cp classes:<jaxws jars> MtomAppDocumentClient <wsdl url> <request code>
// MTOM is switched on the usual way, with `new MTOMFeature(true, threshold)` on the port: the
// runtime then sends every base64Binary value of at least `threshold` bytes, here
// AppDocument/BinaryData, as a MIME part of a multipart/related request and leaves
// `<BinaryData><xop:Include href="cid:…"/></BinaryData>` in the envelope.
// It prints one KEY=value line per fact the test checks: the SHA-256 of the ZIP it attached, and
// of the ZIP the MTOM answer carried (SMEV 2's AppDocument/Reference/xop:Include + DigestValue:
// the part is read from the response context's INBOUND_MESSAGE_ATTACHMENTS by its Content-ID).
// Any failure ends with exit code 1 and a line starting with "ERROR ".

import demo.smev2_gateway.rosreestr.egrn.CreateRequestRequestMessage;
import demo.smev2_gateway.rosreestr.egrn.CreateRequestResponseMessage;
import demo.smev2_gateway.rosreestr.egrn.RosreestrExtractPortType;
import demo.smev2_gateway.rosreestr.egrn.RosreestrExtractService;
import demo.smev2_gateway.rosreestr.egrn.types.CreateRequestBean;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.GregorianCalendar;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.activation.DataHandler;
import javax.xml.bind.JAXBElement;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.handler.MessageContext;
import javax.xml.ws.soap.MTOMFeature;
import org.w3._2004._08.xop.include.Include;
import ru.gosuslugi.smev.rev111111.AppDataType;
import ru.gosuslugi.smev.rev111111.AppDocumentType;
import ru.gosuslugi.smev.rev111111.MessageDataType;
import ru.gosuslugi.smev.rev111111.MessageType;
import ru.gosuslugi.smev.rev111111.OrgExternalType;
import ru.gosuslugi.smev.rev111111.StatusType;
import ru.gosuslugi.smev.rev111111.TypeCodeType;

public class MtomAppDocumentClient {
  private static OrgExternalType org(String code, String name) {
    OrgExternalType o = new OrgExternalType();
    o.setCode(code);
    o.setName(name);
    return o;
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** The AppDocument: a ZIP with the agency's request document (about 40 KB, not compressible). */
  private static byte[] zip(String requestCode) throws Exception {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<extractRequest code=\"" + requestCode + "\">");
    java.security.SecureRandom random = new java.security.SecureRandom();
    for (int i = 0; i < 400; i++) {
      byte[] line = new byte[48];
      random.nextBytes(line);
      xml.append("\n  <line>").append(Base64.getEncoder().encodeToString(line)).append("</line>");
    }
    xml.append("\n</extractRequest>\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry("req_" + requestCode + ".xml"));
      z.write(xml.toString().getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
    return out.toByteArray();
  }

  public static void main(String[] args) {
    if (args.length != 2) {
      System.out.println("ERROR usage: MtomAppDocumentClient <wsdl url> <request code>");
      System.exit(2);
    }
    try {
      RosreestrExtractService service = new RosreestrExtractService(new URL(args[0]));
      // MTOM on; base64Binary values of 1 KiB and more travel as parts
      RosreestrExtractPortType port = service.getRosreestrExtractPort(new MTOMFeature(true, 1024));
      System.out.println("ENDPOINT=" + ((BindingProvider) port).getRequestContext().get(BindingProvider.ENDPOINT_ADDRESS_PROPERTY));

      MessageType message = new MessageType();
      message.setSender(org("MINZ01001", "Министерство здравоохранения Российской Федерации"));
      message.setRecipient(org("RRTR01001", "Росреестр"));
      message.setOriginator(org("MINZ01001", "Министерство здравоохранения Российской Федерации"));
      message.setTypeCode(TypeCodeType.GSRV);
      message.setStatus(StatusType.REQUEST);
      message.setDate(DatatypeFactory.newInstance().newXMLGregorianCalendar(new GregorianCalendar()));
      message.setExchangeType("2");
      message.setCaseNumber("МЗ-2024/000318");

      CreateRequestBean bean = new CreateRequestBean();
      bean.setRequestType("extractRealty");
      bean.setCadastralNumber("58:29:1007005:1234");
      AppDataType appData = new AppDataType();
      appData.getAny().add(bean);

      byte[] attached = zip(args[1]);
      AppDocumentType document = new AppDocumentType();
      document.setRequestCode(args[1]);
      document.setBinaryData(attached);
      MessageDataType data = new MessageDataType();
      data.setAppData(appData);
      data.setAppDocument(document);
      System.out.println("ATTACHED_SIZE=" + attached.length);
      System.out.println("ATTACHED_SHA256=" + sha256(attached));

      CreateRequestRequestMessage request = new CreateRequestRequestMessage();
      request.setMessage(message);
      request.setMessageData(data);
      CreateRequestResponseMessage answer = port.createRequest(request);

      System.out.println("STATUS=" + answer.getMessage().getStatus());
      AppDocumentType got = answer.getMessageData() == null ? null : answer.getMessageData().getAppDocument();
      if (got == null || got.getReference() == null) {
        System.out.println("ERROR the answer has no AppDocument/Reference");
        System.exit(1);
      }
      System.out.println("ANSWER_REQUEST_CODE=" + got.getRequestCode());
      // Reference's xop:Include is an element its schema declares, so the runtime gives it as such
      // (JAXBElement<Include>) and keeps the part it names among the answer's attachments, by
      // Content-ID: the href's cid, URL-decoded (RFC 2392)
      @SuppressWarnings("unchecked")
      Map<String, DataHandler> attachments = (Map<String, DataHandler>) ((BindingProvider) port).getResponseContext().get(MessageContext.INBOUND_MESSAGE_ATTACHMENTS);
      String href = null;
      for (Serializable item : got.getReference().getContent()) {
        if (item instanceof JAXBElement && ((JAXBElement<?>) item).getValue() instanceof Include) href = ((Include) ((JAXBElement<?>) item).getValue()).getHref();
      }
      if (href == null || !href.startsWith("cid:")) {
        System.out.println("ERROR AppDocument/Reference has no xop:Include href=\"cid:...\" (" + href + ")");
        System.exit(1);
      }
      String cid = URLDecoder.decode(href.substring(4), StandardCharsets.UTF_8);
      DataHandler part = attachments == null ? null : attachments.get(cid);
      if (part == null) {
        System.out.println("ERROR the answer has no attachment " + cid + " (it has " + (attachments == null ? "none" : attachments.keySet()) + ")");
        System.exit(1);
      }
      System.out.println("RECEIVED_CID=" + cid);
      System.out.println("RECEIVED_CONTENT_TYPE=" + part.getContentType());
      byte[] received;
      try (InputStream in = part.getInputStream()) {
        received = in.readAllBytes();
      }
      System.out.println("RECEIVED_SIZE=" + received.length);
      System.out.println("RECEIVED_SHA256=" + sha256(received));
      System.out.println("DIGEST_VALUE=" + (got.getDigestValue() == null ? "null" : Base64.getEncoder().encodeToString(got.getDigestValue())));
    } catch (Throwable e) {
      System.out.println("ERROR " + e.getClass().getName() + ": " + e.getMessage());
      e.printStackTrace(System.out);
      System.exit(1);
    }
  }
}
