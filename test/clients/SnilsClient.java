// A JAX-WS client of the demo SID0003623 (PFR-style SNILS lookup), written against the classes
// that `wsimport` generates from the gateway's published WSDL, as a Java developer would:
//   wsimport -keep -s src -d classes -Xnocompile <gateway>/gateway/services/SID0003623?wsdl
//   javac -cp <jaxws jars> -d classes src/**/*.java SnilsClient.java
//   java -cp classes:<jaxws jars> SnilsClient <gateway>/gateway/services/SID0003623?wsdl
// It sends the data of fixtures/SID0003623/found/request.xml (ИВАНОВА МАРИЯ ПЕТРОВНА, 14.07.1985)
// and prints one KEY=value line per fact the test checks. Any failure ends with exit code 1
// and a line starting with "ERROR ".

import demo.smev2_gateway.pfr.snils.SnilsByPersonalDataPortType;
import demo.smev2_gateway.pfr.snils.SnilsByPersonalDataService;
import demo.smev2_gateway.pfr.snils.data.ЗапросСНИЛС;
import demo.smev2_gateway.pfr.snils.data.ОтветСНИЛС;
import demo.smev2_gateway.pfr.snils.data.ПолТип;
import demo.smev2_gateway.pfr.snils.data.УдостоверяющийДокументТип;
import java.net.URL;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.Holder;
import ru.gosuslugi.smev.rev111111.AppDataType;
import ru.gosuslugi.smev.rev111111.MessageDataType;
import ru.gosuslugi.smev.rev111111.MessageType;
import ru.gosuslugi.smev.rev111111.OrgExternalType;
import ru.gosuslugi.smev.rev111111.StatusType;
import ru.gosuslugi.smev.rev111111.TypeCodeType;

public class SnilsClient {
  private static OrgExternalType org(String code, String name) {
    OrgExternalType o = new OrgExternalType();
    o.setCode(code);
    o.setName(name);
    return o;
  }

  public static void main(String[] args) {
    if (args.length != 1) {
      System.out.println("ERROR usage: SnilsClient <wsdl url>");
      System.exit(2);
    }
    try {
      SnilsByPersonalDataService service = new SnilsByPersonalDataService(new URL(args[0]));
      SnilsByPersonalDataPortType port = service.getSnilsByPersonalDataPort();
      System.out.println("ENDPOINT=" + ((BindingProvider) port).getRequestContext().get(BindingProvider.ENDPOINT_ADDRESS_PROPERTY));

      MessageType message = new MessageType();
      message.setSender(org("MINZ01001", "Министерство здравоохранения Российской Федерации"));
      message.setRecipient(org("PFRF01001", "Пенсионный фонд РФ"));
      message.setOriginator(org("MINZ01001", "Министерство здравоохранения Российской Федерации"));
      message.setTypeCode(TypeCodeType.GSRV);
      message.setStatus(StatusType.REQUEST);
      message.setDate(DatatypeFactory.newInstance().newXMLGregorianCalendar("2024-03-14T10:15:30.125+03:00"));
      message.setExchangeType("2");
      message.setCaseNumber("МЗ-2024/000317");

      ЗапросСНИЛС request = new ЗапросСНИЛС();
      request.setИдЗапроса("5d0c7a4e-2f61-4b8a-9c3e-71a2b4e0f915");
      request.setФамилия("ИВАНОВА");
      request.setИмя("МАРИЯ");
      request.setОтчество("ПЕТРОВНА");
      request.setДатаРождения("14.07.1985");
      request.setПол(ПолТип.ЖЕНСКИЙ);
      request.setМестоРождения("г. Пенза");
      УдостоверяющийДокументТип doc = new УдостоверяющийДокументТип();
      doc.setТипДокумента("ПАСПОРТ РОССИИ");
      doc.setСерия("56 05");
      doc.setНомер("482913");
      doc.setДатаВыдачи("22.07.2005");
      doc.setКемВыдан("ОВД ОКТЯБРЬСКОГО РАЙОНА Г. ПЕНЗЫ");
      request.setУдостоверяющийДокумент(doc);

      AppDataType appData = new AppDataType();
      appData.getAny().add(request);
      MessageDataType messageData = new MessageDataType();
      messageData.setAppData(appData);

      Holder<MessageType> messageHolder = new Holder<>(message);
      Holder<MessageDataType> dataHolder = new Holder<>(messageData);
      port.process(messageHolder, dataHolder);

      MessageType answer = messageHolder.value;
      System.out.println("STATUS=" + answer.getStatus());
      System.out.println("SENDER=" + answer.getSender().getCode());
      System.out.println("REQUEST_ID_REF=" + answer.getRequestIdRef());
      System.out.println("DATE_CLASS=" + (answer.getDate() == null ? "null" : "XMLGregorianCalendar"));
      AppDataType answerData = dataHolder.value == null ? null : dataHolder.value.getAppData();
      if (answerData == null || answerData.getAny().isEmpty()) {
        System.out.println("ERROR the answer has no AppData");
        System.exit(1);
      }
      for (Object item : answerData.getAny()) {
        System.out.println("APPDATA_CLASS=" + item.getClass().getName());
        if (item instanceof ОтветСНИЛС) {
          ОтветСНИЛС r = (ОтветСНИЛС) item;
          System.out.println("RETURN_CODE=" + r.getКодВозврата());
          System.out.println("SNILS=" + r.getСтраховойНомер());
        }
      }
    } catch (Throwable e) {
      System.out.println("ERROR " + e.getClass().getName() + ": " + e.getMessage());
      e.printStackTrace(System.out);
      System.exit(1);
    }
  }
}
